"""Recomputing open appeals' deadlines after the official holiday schedule of a year changes.

``anju.calendar.services.holidays_set`` runs :func:`schedule_changed` (registered in ``AppealsConfig.ready()``)
in its transaction; it enqueues one background job (``appeals.deadlines_recompute``) per revision of the year.
The job recomputes, in batches of :data:`BATCH`, every open appeal whose deadline window touches the year
(from when it was received to its latest deadline or next escalation), and every open appeal whose deadlines
are still provisional. Recomputing is a pure function of the stored base times, the SLA policy and the
calendar, so running the job twice changes nothing more; the year's row records which revision was last
recomputed, when, and how many appeals' deadlines moved (the holidays page shows it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from anju.appeals.models import OPEN_STATUSES, Appeal
from anju.appeals.sla import compute_deadlines
from anju.audit.actions import Action
from anju.calendar import services as calendar_services
from anju.calendar.workdays import Calendar
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


def schedule_changed(*, year: int, revision: int) -> None:
    """The calendar's hook: queue the recompute of ``year``'s open deadlines, once per revision."""
    job_enqueue(TASK, {"year": year, "revision": revision}, dedupe_key=f"{TASK}:{year}:{revision}")


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
    calendar_services.year_recomputed(
        year=year, revision=revision, moved=moved, action=Action.APPEAL_DEADLINES_RECOMPUTED, actor_label="anju worker"
    )
    return moved
