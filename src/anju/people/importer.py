"""Excel (xlsx) import of residents: a template, a dry run, an all-or-nothing commit.

The same code serves the page (run by a job, progress in the batch row), the
CLI (``anju import residents FILE.xlsx``, progress bar on stderr) and the
tests. A dry run reads and checks every row and writes nothing; a commit checks
again (the database may have changed) and writes everything in one
transaction, or nothing. Every problem names its row (as Excel numbers it),
its column (the header as written in the file) and the reason.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import crypto
from anju.core.excel import safe_row
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import layout, services, updates, validation
from anju.people.models import DEFAULT_TAGS, Address, Household, Relation, Resident, ResidentEvent, Tag
from anju.people.validation import Invalid

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
    updates: list[updates.Update] = field(default_factory=list)  # rows naming a resident (people.updates)

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


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


# --- the file itself -----------------------------------------------------------------------


def check_file(data: bytes, *, max_bytes: int | None = None) -> list[Problem]:
    """Problems with the file as a whole, found before any parsing."""
    limit = max_bytes or IMPORT_MAX_BYTES
    if len(data) > limit:
        return [
            Problem(
                None,
                "",
                _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                % {"size": f"{len(data) / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
            )
        ]
    if not data:
        return [Problem(None, "", _("The file is empty."))]
    if not data.startswith(b"PK\x03\x04"):
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    if "xl/workbook.xml" not in names:
        return [Problem(None, "", _("This is not an Excel .xlsx file. Save it as “Excel Workbook (.xlsx)” and retry."))]
    if unzipped > IMPORT_MAX_UNZIPPED:
        return [Problem(None, "", _("The workbook is too large once unpacked. Split it into smaller files."))]
    return []


def _text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def _header_key(text: str) -> str | None:
    cleaned = _text(text).replace("*", "").replace("＊", "").strip().lower()
    for column in COLUMNS:
        if cleaned == column.header or cleaned in column.aliases:
            return column.key
    return layout.key_of_english(cleaned)  # the headers of an English template or export


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(
    data: bytes, progress: Progress = _no_progress
) -> tuple[dict[str, str], list[tuple[int, dict[str, Any]]], list[Problem]]:
    """(header by key, [(row number, raw values by key)], problems) of the first sheet."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001  openpyxl raises many kinds on a damaged file
        return (
            {},
            [],
            [Problem(None, "", _("The workbook could not be read. Open it in Excel, save it again and retry."))],
        )
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        total = max((sheet.max_row or 0) - 1, 0)
        problems: list[Problem] = []
        headers: dict[str, str] = {}
        positions: dict[int, str] = {}
        rows: list[tuple[int, dict[str, Any]]] = []
        header_row = 0
        iterator: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
        for number, values in enumerate(iterator, start=1):
            if not header_row:
                if all(_is_blank(v) for v in values):
                    continue
                header_row = number
                for position, value in enumerate(values):
                    key = _header_key(str(value)) if value is not None else None
                    if key and key not in headers:
                        headers[key] = _text(value).replace("*", "")
                        positions[position] = key
                missing = [c for c in COLUMNS if c.required and c.key not in headers]
                english = any(layout.key_of_english(text) for text in headers.values())  # the sheet's language
                for column in missing:
                    shown = layout.HEADER_EN[column.key] if english else column.header
                    problems.append(Problem(number, shown, _("The required column “%(c)s” is missing.") % {"c": shown}))
                if missing:
                    return headers, [], problems
                continue
            if all(_is_blank(v) for v in values):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                problems.append(
                    Problem(number, "", _("A file may hold at most %(n)d residents.") % {"n": IMPORT_MAX_ROWS})
                )
                break
            rows.append((number, {key: values[pos] for pos, key in positions.items() if pos < len(values)}))
            if len(rows) % BATCH == 0:
                progress("reading", len(rows), total)
        if not header_row:
            problems.append(Problem(None, "", _("The workbook is empty: no header row was found.")))
        return headers, rows, problems
    except Exception:  # noqa: BLE001
        return (
            {},
            [],
            [Problem(None, "", _("The workbook could not be read. Open it in Excel, save it again and retry."))],
        )
    finally:
        workbook.close()


# --- checking the rows ---------------------------------------------------------------------


def _norm_building(name: str) -> str:
    return _text(name).replace(" ", "")


def _cell(raw: Any) -> Any:
    """Cell value → what the validators expect; refuse formulas and imprecise ID numbers."""
    if isinstance(raw, str) and raw.startswith("="):
        raise Invalid(_("This cell holds a formula; type the value itself."))
    return raw


def check_rows(
    community: OrgUnit,
    headers: dict[str, str],
    raw_rows: list[tuple[int, dict[str, Any]]],
    progress: Progress = _no_progress,
    *,
    today: date | None = None,
) -> Plan:
    plan = Plan(rows_read=len(raw_rows))
    buildings = {
        _norm_building(u.name): u
        for u in OrgUnit.objects.filter(community=community, kind=UnitKind.BUILDING, is_active=True)
    }
    tags = {t.name: t.name for t in Tag.objects.filter(community=community, is_active=True)}
    if not tags and not Tag.objects.filter(community=community).exists():
        # The default list is created on the first write; a dry run writes nothing.
        tags = {name: name for name in DEFAULT_TAGS}
    seen_ids: dict[str, int] = {}
    heads: dict[tuple[Any, ...], int] = {}
    total = len(raw_rows)

    def header(key: str) -> str:
        return headers.get(key) or BY_KEY[key].header

    changed = [(n, raw) for n, raw in raw_rows if updates.has_number(raw)]
    if changed:
        plan.updates, refused = updates.check(community, changed, header, today=today)
        plan.problems.extend(Problem(*p) for p in refused)
        raw_rows = [(n, raw) for n, raw in raw_rows if not updates.has_number(raw)]
        total = len(raw_rows)
    for done, (number, raw) in enumerate(raw_rows, start=1):
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for key in BY_KEY:
            try:
                value = _cell(raw.get(key))
            except Invalid as exc:
                errors[key] = str(exc)
                continue
            if key in ("id_number", "mobile") and isinstance(value, float):
                errors[key] = _("Excel stored this number as a figure and lost digits; format the column as text.")
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            values[key] = value
        for key in ("name", "id_number", "relation", "building", "door"):
            if key not in errors and _is_blank(values.get(key)):
                errors[key] = _("This column is required.")
        person, person_errors = services.clean_person(
            {k: ("" if values.get(k) is None else values[k]) for k in PERSON_KEYS if k not in errors}, today=today
        )
        for key, message in person_errors.items():
            errors.setdefault(key, message)
        unit = None
        if "building" not in errors:
            unit = buildings.get(_norm_building(values["building"]))
            if unit is None:
                errors["building"] = _("There is no building “%(b)s” in this community.") % {
                    "b": _text(values["building"])
                }
        entrance = validation.normalise_short(values.get("entrance") or "")
        door = validation.normalise_short(values.get("door") or "")
        number_text = validation.normalise_short(values.get("household_number") or "")
        if "door" not in errors and len(door) > 20:
            errors["door"] = _("At most 20 characters.")
        if len(entrance) > 20:
            errors["entrance"] = _("At most 20 characters.")
        if len(number_text) > 30:
            errors["household_number"] = _("At most 30 characters.")
        row_tags: list[str] = []
        if "tags" not in errors:
            for word in TAG_SPLIT.split(_text(values.get("tags") or "")):
                if not word:
                    continue
                if word not in tags:
                    errors["tags"] = _("“%(t)s” is not a tag of this community; add it to the tag list first.") % {
                        "t": word
                    }
                    break
                if tags[word] not in row_tags:
                    row_tags.append(tags[word])
        is_central = False
        if "is_central" not in errors:
            try:
                is_central = validation.clean_yes_no(values.get("is_central") or "")
            except Invalid as exc:
                errors["is_central"] = str(exc)
        id_index = ""
        if "id_number" in person and "id_number" not in errors:
            id_index = services.id_number_index(person["id_number"])
            first = seen_ids.get(id_index)
            if first is not None:
                errors["id_number"] = _("The same ID number is on row %(row)d already.") % {"row": first}
            else:
                seen_ids[id_index] = number
        if unit is not None and person.get("relation") == Relation.HEAD and "relation" not in errors:
            household_key = (unit.pk, entrance, door, number_text)
            if household_key in heads:
                errors["relation"] = _("This household has a head on row %(row)d already.") % {
                    "row": heads[household_key]
                }
            else:
                heads[household_key] = number
        if errors:
            order = list(BY_KEY)
            for key in sorted(errors, key=order.index):
                plan.problems.append(Problem(number, header(key), errors[key]))
        elif unit is not None:
            plan.rows.append(
                Row(number, person, unit, entrance, door, number_text, row_tags, is_central, id_index=id_index)
            )
        if done % BATCH == 0:
            progress("checking", done, total)
    _check_against_database(community, plan, header("id_number"), header("relation"))
    progress("checking", total, total)
    plan.problems.sort(key=lambda p: p.row or 0)
    return plan


def _check_against_database(community: OrgUnit, plan: Plan, id_header: str, relation_header: str) -> None:
    indices = [r.id_index for r in plan.rows]
    registered: set[str] = set()
    for start in range(0, len(indices), BATCH):
        chunk = indices[start : start + BATCH]
        registered.update(
            str(index)
            for index in Resident.objects.filter(status=Resident.Status.ACTIVE, id_number_index__in=chunk).values_list(
                "id_number_index", flat=True
            )
        )
    heads_in_db = set(
        Household.objects.filter(
            community=community,
            status=Household.Status.ACTIVE,
            members__status=Resident.Status.ACTIVE,
            members__relation=Relation.HEAD,
        ).values_list("address__unit_id", "address__entrance", "address__door", "number")
    )
    kept = []
    for row in plan.rows:
        bad = False
        if row.id_index in registered:
            plan.problems.append(Problem(row.number, id_header, _(services.DUPLICATE_ID)))
            bad = True
        key = (row.unit.pk, row.entrance, row.door, row.household_number)
        if row.person.get("relation") == Relation.HEAD and key in heads_in_db:
            plan.problems.append(Problem(row.number, relation_header, _("This household has a head already.")))
            bad = True
        if not bad:
            kept.append(row)
    plan.rows = kept


def dry_run(community: OrgUnit, data: bytes, progress: Progress = _no_progress) -> Plan:
    problems = check_file(data)
    if problems:
        return Plan(problems=problems)
    headers, raw_rows, problems = read_rows(data, progress)
    if problems:
        return Plan(problems=problems, rows_read=len(raw_rows))
    if not raw_rows:
        return Plan(problems=[Problem(None, "", _("The workbook has no resident rows."))])
    return check_rows(community, headers, raw_rows, progress)


# --- writing -------------------------------------------------------------------------------


def commit(
    *,
    actor: Any,
    community: OrgUnit,
    data: bytes,
    progress: Progress = _no_progress,
    actor_label: str = "",
    filename: str = "",
    on_written: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Check, then write every row in one transaction; raises :class:`ImportRejected` and writes
    nothing when any row has a problem. ``on_written(summary)`` runs inside that transaction after
    the rows, so whatever it records (a batch's status) commits with them or not at all."""
    plan = dry_run(community, data, progress)
    if not plan.ok:
        raise ImportRejected(plan.problems)
    try:
        return _write(
            actor=actor,
            community=community,
            plan=plan,
            progress=progress,
            actor_label=actor_label,
            filename=filename,
            on_written=on_written,
        )
    except IntegrityError as exc:
        # Someone registered one of these people between the check and the write.
        raise ImportRejected([Problem(None, "", _("The registry changed during the import; run it again."))]) from exc


def _write(
    *,
    actor: Any,
    community: OrgUnit,
    plan: Plan,
    progress: Progress,
    actor_label: str,
    filename: str,
    on_written: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    today = timezone.localdate()
    total = len(plan.rows)
    with transaction.atomic():
        progress("writing", 0, total)
        tag_ids = {t.name: t.pk for t in services.tags_ensure_default(community=community)}
        # Addresses.
        wanted = {(r.unit.pk, r.entrance, r.door) for r in plan.rows}
        addresses = {
            (a.unit_id, a.entrance, a.door): a
            for a in Address.objects.filter(community=community, unit_id__in={w[0] for w in wanted})
        }
        Address.objects.bulk_create(
            [
                Address(community=community, unit_id=u, entrance=e, door=d)
                for (u, e, d) in wanted
                if (u, e, d) not in addresses
            ],
            batch_size=BATCH,
        )
        addresses = {
            (a.unit_id, a.entrance, a.door): a
            for a in Address.objects.filter(community=community, unit_id__in={w[0] for w in wanted})
        }
        # Households.
        households = {
            (h.address_id, h.number): h
            for h in Household.objects.filter(community=community, status=Household.Status.ACTIVE)
        }
        new_households = {}
        central: set[tuple[int, str]] = set()
        for r in plan.rows:
            address = addresses[(r.unit.pk, r.entrance, r.door)]
            key = (address.pk, r.household_number)
            if r.is_central:
                central.add(key)
            if key not in households and key not in new_households:
                new_households[key] = Household(
                    community=community, address=address, unit_id=r.unit.pk, number=r.household_number
                )
        for key, household in new_households.items():
            household.is_central = key in central
        Household.objects.bulk_create(list(new_households.values()), batch_size=BATCH)
        made_central = [h for k, h in households.items() if k in central and not h.is_central]
        for h in made_central:
            h.is_central = True
        Household.objects.bulk_update(made_central, ["is_central"], batch_size=BATCH)
        households.update(new_households)
        # Residents.
        residents = []
        for done, r in enumerate(plan.rows, start=1):
            address = addresses[(r.unit.pk, r.entrance, r.door)]
            household = households[(address.pk, r.household_number)]
            resident = Resident(community=community, household=household, unit_id=r.unit.pk)
            person = r.person
            resident.name = person["name"]
            resident.name_pinyin, resident.name_initials = validation.name_keys(resident.name)
            if person.get("mobile"):
                resident.mobile_sealed = crypto.encrypt(person["mobile"])
                resident.mobile_index = services.mobile_index(person["mobile"])
            resident.id_number_sealed = crypto.encrypt(person["id_number"])
            resident.id_number_index = r.id_index
            resident.gender = person.get("gender", "")
            resident.birth_date = person.get("birth_date")
            resident.relation = person["relation"]
            resident.is_party_member = person.get("is_party_member", False)
            resident.party_branch = person.get("party_branch", "")
            residents.append(resident)
            if done % BATCH == 0:
                progress("writing", done // 2, total)
        Resident.objects.bulk_create(residents, batch_size=BATCH)
        through = Resident.tags.through
        through.objects.bulk_create(
            [
                through(resident_id=res.pk, tag_id=tag_ids[t])
                for res, r in zip(residents, plan.rows, strict=True)
                for t in r.tags
            ],
            batch_size=BATCH * 4,
        )
        ResidentEvent.objects.bulk_create(
            [
                ResidentEvent(
                    community=community,
                    resident=res,
                    kind=ResidentEvent.Kind.IMPORTED,
                    on_date=today,
                    note=filename[:200],
                    actor=real_actor,
                )
                for res in residents
            ],
            batch_size=BATCH,
        )
        refused = updates.apply(actor=actor, updates=plan.updates, header=lambda key: BY_KEY[key].header)
        if refused:
            raise ImportRejected([Problem(*p) for p in refused])  # leaves the transaction: nothing is written
        summary = plan.summary()
        summary.update({"households_created": len(new_households), "residents_created": len(residents)})
        record(
            Action.RESIDENT_IMPORTED,
            actor=actor,
            community=community,
            actor_label=actor_label,
            data={"file": filename[:100], **summary},
        )
        if on_written is not None:
            on_written(summary)
        progress("writing", total, total)
    return summary


# --- the template and exports --------------------------------------------------------------


def build_template() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    text_columns = {"id_number", "mobile", "door", "entrance", "household_number"}
    for index, column in enumerate(COLUMNS, start=1):
        title = layout.header(column.key, column.header)  # in the user's language; both are accepted
        cell = sheet.cell(row=1, column=index, value=title + ("*" if column.required else ""))
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 22 if column.key in ("id_number", "party_branch", "tags") else 12
        if column.key in text_columns:
            for row in range(2, 2001):
                sheet.cell(row=row, column=index).number_format = "@"
    choices = {
        "gender": '"男,女"',
        "is_party_member": '"是,否"',
        "is_central": '"是,否"',
        "relation": '"户主,配偶,子女,父母,孙子女,祖父母,兄弟姐妹,儿媳,女婿,其他"',
    }
    for index, column in enumerate(COLUMNS, start=1):
        if column.key in choices:
            rule = DataValidation(type="list", formula1=choices[column.key], allow_blank=True)
            letter = sheet.cell(row=1, column=index).column_letter
            rule.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    _data, help_name, examples_name = layout.sheet_names()
    help_sheet = book.create_sheet(help_name)
    help_sheet.append([_("Column"), _("Required"), _("What to write")])
    for column in COLUMNS:
        help_sheet.append(
            [
                layout.header(column.key, column.header),
                layout.yes_no(True) if column.required else "",
                str(layout.HELP.get(column.key, column.help)),
            ]
        )
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["C"].width = 80
    examples = book.create_sheet(examples_name)
    examples.append([layout.header(c.key, c.header) for c in COLUMNS])
    for i in range(3):
        examples.append([c.example[i] if c.example else "" for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_to_xlsx(headers: list[str], rows: Iterator[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append(headers)
    for row in rows:
        sheet.append(safe_row(row))  # a text that would run as a formula in Excel is quoted
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
