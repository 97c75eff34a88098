"""The official holiday schedule an administrator enters for a year the holiday library does not know yet,
and the recompute of open deadlines that follows it.

Entering a year (the first time, or again to correct it) replaces that year's official days, bumps the
year's *revision* and enqueues one background job (``appeals.deadlines_recompute``) in the same
transaction. The job recomputes, in batches of :data:`BATCH`, every open appeal whose deadline window
touches the year (from when it was received to its latest deadline or next escalation), and every open
appeal whose deadlines are still provisional. Recomputing is a pure function of the stored base times,
the SLA policy and the calendar, so running the job twice changes nothing more; the year's row records
which revision was last recomputed, when, and how many appeals' deadlines moved (the holidays page shows it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.accounts import policy
from anju.appeals.models import OPEN_STATUSES, Appeal, HolidayDate, HolidayYear
from anju.appeals.sla import compute_deadlines
from anju.appeals.workdays import Calendar
from anju.audit.actions import Action
from anju.audit.services import record
from anju.jobs.services import job_enqueue

TASK = "appeals.deadlines_recompute"
BATCH = 200

DEADLINE_FIELDS = (
    "dispatch_due",
    "sign_due",
    "contact_due",
    "feedback_due",
    "deadlines_provisional",
    "due_at",
    "escalation_due_at",
)


def holidays_set(
    *, actor: Any, year: int, days: Sequence[tuple[dt.date, str]], request: HttpRequest | None = None
) -> HolidayYear:
    """Enter (or correct) the official schedule of ``year``: holidays and make-up working days. Open
    deadlines touching the year are recomputed by a background job queued in the same transaction."""
    if actor is not None and not policy.can(actor, "appeal.configure"):
        raise PermissionDenied
    errors = []
    for day, kind in days:
        if day.year != year:
            errors.append(_("%(day)s is not in %(year)d.") % {"day": day.isoformat(), "year": year})
        if kind not in HolidayDate.Kind.values:
            errors.append(_("%(day)s: choose holiday or workday.") % {"day": day.isoformat()})
    if len({day for day, _kind in days}) != len(days):
        errors.append(_("Enter each date once."))
    if errors:
        raise ValidationError({"days": errors})
    with transaction.atomic():
        entry, _created = HolidayYear.objects.select_for_update().get_or_create(year=year)
        HolidayDate.objects.filter(date__year=year).delete()
        HolidayDate.objects.bulk_create([HolidayDate(date=d, kind=k) for d, k in days])
        entry.revision += 1
        entry.recompute_queued_at = timezone.now()
        entry.save(update_fields=["revision", "recompute_queued_at"])
        job_enqueue(TASK, {"year": year, "revision": entry.revision}, dedupe_key=f"{TASK}:{year}:{entry.revision}")
        record(
            Action.APPEAL_HOLIDAYS_SET,
            actor=actor,
            request=request,
            data={"year": year, "days": len(days), "revision": entry.revision},
        )
    return entry


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def affected(year: int) -> Any:
    """Open appeals whose deadline window touches ``year``, or whose deadlines are provisional."""
    start, end = _year_bounds(year)
    reaches = (
        Q(dispatch_due__gte=start)
        | Q(sign_due__gte=start)
        | Q(contact_due__gte=start)
        | Q(feedback_due__gte=start)
        | Q(escalation_due_at__gte=start)
    )
    return Appeal.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(deadlines_provisional=True) | (Q(received_at__lt=end) & reaches)
    )


def deadlines_recompute(*, year: int, revision: int | None = None, batch: int = BATCH) -> int:
    """Recompute the deadlines of the open appeals touching ``year``; returns how many moved. Each batch is
    one transaction on rows locked in id order, so a crash loses nothing and a rerun changes nothing more."""
    moved = 0
    last_id = 0
    while True:
        with transaction.atomic():
            ids = list(affected(year).filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            cal = Calendar.load()
            for appeal in Appeal.objects.select_for_update().filter(pk__in=ids, status__in=OPEN_STATUSES):
                before = tuple(getattr(appeal, f) for f in DEADLINE_FIELDS)
                compute_deadlines(appeal, cal)
                if tuple(getattr(appeal, f) for f in DEADLINE_FIELDS) != before:
                    appeal.save(update_fields=list(DEADLINE_FIELDS))
                    moved += 1
            last_id = ids[-1]
    with transaction.atomic():
        entry = HolidayYear.objects.select_for_update().filter(year=year).first()
        if entry is not None and revision is not None and entry.recomputed_revision < revision:
            entry.recomputed_revision = revision
            entry.recompute_finished_at = timezone.now()
            entry.recomputed_count = moved
            entry.save(update_fields=["recomputed_revision", "recompute_finished_at", "recomputed_count"])
            record(
                Action.APPEAL_DEADLINES_RECOMPUTED,
                actor_label="anju worker",
                data={"year": year, "revision": revision, "moved": moved},
            )
    return moved


def years() -> list[HolidayYear]:
    """The entered years, newest first, with their recompute state; ``in_library`` says whether the entry
    overrides a year the holiday library knows too (the entry wins) or fills one it does not know."""
    known = set(library_years())
    rows = list(HolidayYear.objects.order_by("-year")[:10])
    for row in rows:
        row.in_library = row.year in known  # type: ignore[attr-defined]
    return rows


def library_years() -> list[int]:
    """The years whose official schedule the holiday library (``chinesecalendar``) has, ascending."""
    return sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})


def year_ranges(values: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive years folded into (first, last) ranges: [2004…2026] → [(2004, 2026)]."""
    ranges: list[tuple[int, int]] = []
    for year in sorted(set(values)):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], year)
        else:
            ranges.append((year, year))
    return ranges


def coverage(today: dt.date | None = None) -> dict[str, Any]:
    """What the holidays page shows about known years: the library's, the entered ones, and this year or
    next year when neither knows it (their deadlines count weekends only and are marked provisional)."""
    today = today or timezone.localdate()
    library = library_years()
    entered = set(HolidayYear.objects.values_list("year", flat=True))
    return {
        "library_ranges": year_ranges(library),
        "library_version": getattr(chinese_calendar, "__version__", ""),
        "unknown": [y for y in (today.year, today.year + 1) if y not in library and y not in entered],
    }
