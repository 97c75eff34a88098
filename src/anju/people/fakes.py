"""Fictional people for the demo, the tests and the benchmark.

ID numbers use the region code 429999, which no county has, and are otherwise
valid (a real date, the GB 11643 check digit); mobile numbers are in the 170
range set aside for virtual operators. No real person is described.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from anju.people.validation import id_check_char

FICTIONAL_REGION = "429999"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文辉玉梅晶红海波志国庆春燕鹏飞丹萍宇浩然子涵雨欣思远嘉怡俊"
)


def id_number(born: date, sequence: int, *, male: bool) -> str:
    """A valid-format fictional ID number: region 429999, ``sequence`` picks the order code."""
    order = (sequence % 499) * 2 + (1 if male else 0)  # odd: male, even: female
    first17 = f"{FICTIONAL_REGION}{born:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def mobile(sequence: int) -> str:
    return f"170{sequence % 100_000_000:08d}"


def name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def people_rows(
    count: int, *, seed: int = 7, buildings: Iterable[str] = ("1栋",), start: int = 0
) -> list[dict[str, Any]]:
    """``count`` import rows (keyed by column key), in households of one to four people."""
    rng = random.Random(seed)  # noqa: S311  fictional data, not security
    buildings = list(buildings)
    rows: list[dict[str, Any]] = []
    n = start
    household = 0
    while len(rows) < count:
        household += 1
        building = buildings[household % len(buildings)]
        door = f"{(household // 20) % 30 + 1:02d}{household % 20 + 1:02d}"
        entrance = str(household % 3 + 1)
        size = min(rng.choice((1, 2, 3, 3, 4)), count - len(rows))
        for member in range(size):
            n += 1
            male = rng.random() < 0.5
            if member == 0:
                relation, age = "户主", rng.randint(30, 90)
            elif member == 1:
                relation, age = "配偶", rng.randint(30, 85)
            else:
                relation, age = "子女", rng.randint(1, 40)
            born = date(2025, 6, 30) - timedelta(days=age * 365 + rng.randint(0, 364))
            rows.append(
                {
                    "name": name(rng),
                    "gender": "男" if male else "女",
                    "birth_date": born.isoformat(),
                    "id_number": id_number(born, n, male=male),
                    "mobile": mobile(n) if rng.random() < 0.8 else "",
                    "building": building,
                    "entrance": entrance,
                    "door": door,
                    "household_number": f"H{start}-{household}",
                    "relation": relation,
                    "tags": "老人" if age >= 60 else "",
                    "is_party_member": "是" if rng.random() < 0.1 else "否",
                    "party_branch": "",
                    "is_central": "",
                }
            )
    return rows


def workbook(rows: list[dict[str, Any]], *, headers: list[str] | None = None) -> bytes:
    """An xlsx in the template's layout holding ``rows`` (values written as text)."""
    from openpyxl import Workbook

    from anju.people.importing.columns import COLUMNS, SHEET_NAME

    columns = [c for c in COLUMNS if headers is None or c.header in headers]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
