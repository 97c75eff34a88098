"""The import sheet's columns and limits, and what the import's steps hand each other."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from anju.orgs.models import OrgUnit
from anju.people import layout

if TYPE_CHECKING:
    from anju.people.updates import Update

IMPORT_MAX_BYTES = int(getattr(settings, "PEOPLE_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
IMPORT_MAX_UNZIPPED = 200 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
SHEET_NAME = "居民"
BATCH = 500

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("name",), "Full name as on the ID card.", ("张三", "李秀英", "张小明")),
    Column("gender", "性别", False, ("gender",), "男 or 女; empty: taken from the ID number.", ("男", "女", "")),
    Column(
        "birth_date",
        "出生日期",
        False,
        ("birth date",),
        "YYYY-MM-DD; empty: taken from the ID number.",
        ("1951-03-08", "1953-11-20", ""),
    ),
    Column(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "id number"),
        "18 characters. Format the column as text so Excel keeps every digit.",
        ("429999195103080032", "429999195311200043", "42999920150601007X"),
    ),
    Column(
        "mobile",
        "手机号",
        False,
        ("手机号码", "联系电话", "mobile"),
        "11 digits; spaces and +86 are removed.",
        ("17000001234", "", ""),
    ),
    Column(
        "building", "楼栋", True, ("building",), "A building of the community, as named in the org tree.", ("1栋",) * 3
    ),
    Column("entrance", "单元", False, ("entrance",), "Entrance (单元), may be empty.", ("1", "1", "1")),
    Column("door", "门牌号", True, ("门牌", "房号", "door"), "Door number.", ("302", "302", "302")),
    Column(
        "household_number",
        "户编号",
        False,
        ("household number",),
        "Only when several households share one door: tells them apart.",
        ("", "", ""),
    ),
    Column(
        "relation",
        "与户主关系",
        True,
        ("relation",),
        "户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 儿媳, 女婿 or 其他.",
        ("户主", "配偶", "孙子女"),
    ),
    Column(
        "tags",
        "标签",
        False,
        ("tags",),
        "Tags of the community separated by 、 or a comma.",
        ("老人、退役军人", "老人", "留守儿童"),
    ),
    Column("is_party_member", "党员", False, ("party member",), "是 or 否.", ("是", "否", "否")),
    Column(
        "party_branch",
        "所属党支部",
        False,
        ("party branch",),
        "The party branch of a party member.",
        ("安居社区第一党支部", "", ""),
    ),
    Column(
        "is_central",
        "党员中心户",
        False,
        ("central household",),
        "是 marks the household as a central household.",
        ("是", "是", "是"),
    ),
    Column(
        layout.RESIDENT_NUMBER,
        "居民编号",
        False,
        ("resident number",),
        "Filled in by an export: the row updates that resident (people.updates).",
        ("", "", ""),
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}
PERSON_KEYS = ("name", "gender", "birth_date", "id_number", "mobile", "relation", "is_party_member", "party_branch")
TAG_SPLIT = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Row:
    number: int
    person: dict[str, Any]
    unit: OrgUnit
    entrance: str
    door: str
    household_number: str
    tags: list[str]
    is_central: bool
    id_index: str = ""


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    updates: list[Update] = field(default_factory=list)  # rows naming a resident (people.updates)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        households = {(r.unit.pk, r.entrance, r.door, r.household_number) for r in self.rows}
        tags: dict[str, int] = {}
        for r in self.rows:
            for t in r.tags:
                tags[t] = tags.get(t, 0) + 1
        return {
            "rows": self.rows_read,
            "valid": len(self.rows) + len(self.updates),
            "households": len(households),
            "tags": tags,
            "updates": len(self.updates),
        }


class ImportRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def no_progress(phase: str, done: int, total: int) -> None:
    """The :data:`Progress` callback that reports nothing."""
    return
