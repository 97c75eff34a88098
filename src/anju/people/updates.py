"""Rows of an import that carry a resident's number (居民编号, written by the export) update that resident.

This is what lets an export be corrected and imported again: the importer hands such rows here instead of
registering them as new people. A cell still masked (``*``: the ID or mobile number, a hidden door, an age
band instead of a birth date) or left empty (gender, birth date, ID number) keeps the registered value; only
cells that differ become changes, written through :func:`anju.people.services.resident_update` (validated,
audited, in the history), inside the import's one transaction. Moving a resident to another household and
marking a central household stay on the household page; sensitive tags are never removed by a sheet (an
export may leave them out for a reader who may not see them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from anju.orgs.models import OrgUnit
from anju.people import layout, services, validation
from anju.people.importing.columns import TAG_SPLIT
from anju.people.models import Resident, Tag
from anju.people.validation import Invalid

PERSON_KEYS = ("name", "gender", "birth_date", "id_number", "mobile", "relation", "is_party_member", "party_branch")
KEEP_WHEN_EMPTY = {"gender", "birth_date", "id_number"}


@dataclass
class Update:
    row: int
    resident: Resident
    changes: dict[str, Any]
    tags: list[Tag] | None  # None: the tags stay as they are


def has_number(raw: dict[str, Any]) -> bool:
    value = raw.get(layout.RESIDENT_NUMBER)
    return value is not None and str(value).strip() != ""


def _number(raw: dict[str, Any]) -> int | None:
    text = str(raw.get(layout.RESIDENT_NUMBER) or "").strip()
    if text.endswith(".0"):  # Excel may hand a typed number back as a float
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) < 12 else None


def _text(value: Any) -> str:
    return validation.normalise_short("" if value is None else value)


def _current(resident: Resident) -> dict[str, Any]:
    return {
        "name": resident.name,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "id_number": resident.id_number,
        "mobile": resident.mobile,
        "relation": resident.relation,
        "is_party_member": resident.is_party_member,
        "party_branch": resident.party_branch,
    }


def check(
    community: OrgUnit,
    raw_rows: list[tuple[int, dict[str, Any]]],
    header: Callable[[str], str],
    *,
    today: dt.date | None = None,
) -> tuple[list[Update], list[tuple[int, str, str]]]:
    """The updates the rows ask for, and the problems as (row, column header, message)."""
    wanted = {n for _row, raw in raw_rows if (n := _number(raw)) is not None}
    residents = {
        r.pk: r
        for r in Resident.objects.filter(community=community, pk__in=wanted, status=Resident.Status.ACTIVE)
        .select_related("household__address__unit")
        .prefetch_related("tags")
    }
    tags = {t.name: t for t in Tag.objects.filter(community=community, is_active=True)}
    updates: list[Update] = []
    problems: list[tuple[int, str, str]] = []
    seen: dict[int, int] = {}
    for row, raw in raw_rows:
        number = _number(raw)
        resident = residents.get(number) if number is not None else None
        if resident is None:
            problems.append(
                (row, header(layout.RESIDENT_NUMBER), _("No resident of this community living here has this number."))
            )
            continue
        if resident.pk in seen:
            problems.append(
                (
                    row,
                    header(layout.RESIDENT_NUMBER),
                    _("The same resident is on row %(row)d already.") % {"row": seen[resident.pk]},
                )
            )
            continue
        seen[resident.pk] = row
        given: dict[str, Any] = {}
        for key in PERSON_KEYS:
            if key not in raw:
                continue  # the column is not in the sheet
            value = raw[key]
            if layout.is_masked(value) or (key in KEEP_WHEN_EMPTY and _text(value) == ""):
                continue
            if key == "birth_date" and isinstance(value, dt.datetime):
                value = value.date()
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            given[key] = "" if value is None else value
        cleaned, errors = services.clean_person(given, today=today)
        for key, message in errors.items():
            problems.append((row, header(key), message))
        household = resident.household
        address = household.address
        for key, now in (
            ("building", address.unit.name),
            ("entrance", address.entrance),
            ("door", address.door),
            ("household_number", household.number),
        ):
            if (
                key in raw
                and not layout.is_masked(raw[key])
                and _text(raw[key]).replace(" ", "") != now.replace(" ", "")
            ):
                problems.append(
                    (row, header(key), _("To move a resident to another household, use the household page."))
                )
                break
        if "is_central" in raw and _text(raw["is_central"]):
            try:
                central = validation.clean_yes_no(raw["is_central"])
            except Invalid as exc:
                problems.append((row, header("is_central"), str(exc)))
            else:
                if central != household.is_central:
                    problems.append((row, header("is_central"), _("Mark a central household on the household page.")))
        new_tags: list[Tag] | None = None
        if "tags" in raw:
            names = [w for w in _tag_words(raw["tags"]) if w]
            unknown = [w for w in names if w not in tags]
            if unknown:
                problems.append(
                    (
                        row,
                        header("tags"),
                        _("“%(t)s” is not a tag of this community; add it to the tag list first.") % {"t": unknown[0]},
                    )
                )
            else:
                kept = [t for t in resident.tags.all() if t.sensitive and t.name not in names]
                chosen = [tags[w] for w in dict.fromkeys(names)] + kept
                if {t.pk for t in chosen} != {t.pk for t in resident.tags.all()}:
                    new_tags = chosen
        if errors:
            continue
        current = _current(resident)
        changes = {k: v for k, v in cleaned.items() if current.get(k) != v}
        if changes or new_tags is not None:
            updates.append(Update(row, resident, changes, new_tags))
    return updates, problems


def _tag_words(value: Any) -> list[str]:

    return TAG_SPLIT.split(validation.normalise_short("" if value is None else value))


def apply(*, actor: Any, updates: list[Update], header: Callable[[str], str]) -> list[tuple[int, str, str]]:
    """Write the updates (the caller's transaction); the problems a service refused, as (row, column, message).
    The caller rolls everything back when any is returned."""
    problems: list[tuple[int, str, str]] = []
    for update in updates:
        try:
            services.resident_update(actor=actor, resident=update.resident, changes=update.changes, tags=update.tags)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    problems.extend((update.row, header(key) if key in layout.HEADER_EN else "", m) for m in messages)
            else:
                problems.extend((update.row, "", m) for m in exc.messages)
    return problems
