"""Checking an import's rows: each row cleaned with the registry's own validators, then against the registry."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from anju.orgs.models import OrgUnit, UnitKind
from anju.people import services, updates, validation
from anju.people.importing.columns import (
    BATCH,
    BY_KEY,
    PERSON_KEYS,
    TAG_SPLIT,
    Plan,
    Problem,
    Progress,
    Row,
    no_progress,
)
from anju.people.importing.parse import cell_text, check_file, is_blank, read_rows
from anju.people.models import DEFAULT_TAGS, Household, Relation, Resident, Tag
from anju.people.validation import Invalid


def _norm_building(name: str) -> str:
    return cell_text(name).replace(" ", "")


def _cell(raw: Any) -> Any:
    """Cell value → what the validators expect; refuse formulas and imprecise ID numbers."""
    if isinstance(raw, str) and raw.startswith("="):
        raise Invalid(_("This cell holds a formula; type the value itself."))
    return raw


def check_rows(
    community: OrgUnit,
    headers: dict[str, str],
    raw_rows: list[tuple[int, dict[str, Any]]],
    progress: Progress = no_progress,
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
            if key not in errors and is_blank(values.get(key)):
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
                    "b": cell_text(values["building"])
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
            for word in TAG_SPLIT.split(cell_text(values.get("tags") or "")):
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


def dry_run(community: OrgUnit, data: bytes, progress: Progress = no_progress) -> Plan:
    problems = check_file(data)
    if problems:
        return Plan(problems=problems)
    headers, raw_rows, problems = read_rows(data, progress)
    if problems:
        return Plan(problems=problems, rows_read=len(raw_rows))
    if not raw_rows:
        return Plan(problems=[Problem(None, "", _("The workbook has no resident rows."))])
    return check_rows(community, headers, raw_rows, progress)
