"""Entering the official holiday schedule of a year, and telling the modules whose deadlines depend on it.

Entering a year (the first time, or again to correct it) replaces that year's official days and bumps the
year's *revision*. Modules whose stored deadlines count working days register a hook with
:func:`on_schedule_changed` from their ``AppConfig.ready()`` (appeals enqueues its deadline recompute); every
hook runs inside the same transaction, so the schedule and the follow-up work commit together or not at all.
The calendar never imports the modules that use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.calendar.models import HolidayDate, HolidayYear


class ScheduleHook(Protocol):
    def __call__(self, *, year: int, revision: int) -> None: ...


_hooks: list[ScheduleHook] = []


def on_schedule_changed(hook: ScheduleHook) -> None:
    """Run ``hook(year=…, revision=…)`` in the transaction of every :func:`holidays_set` (once per hook)."""
    if hook not in _hooks:
        _hooks.append(hook)


def schedule_hooks() -> list[Callable[..., None]]:
    return list(_hooks)


def holidays_set(
    *, actor: Any, year: int, days: Sequence[tuple[dt.date, str]], request: HttpRequest | None = None
) -> HolidayYear:
    """Enter (or correct) the official schedule of ``year``: holidays and make-up working days. The hooks
    registered with :func:`on_schedule_changed` run in the same transaction."""
    if actor is not None and not policy.can(actor, "calendar.configure"):
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
        for hook in _hooks:
            hook(year=year, revision=entry.revision)
        record(
            Action.APPEAL_HOLIDAYS_SET,  # the stored action name predates this app; kept for the trail's history
            actor=actor,
            request=request,
            data={"year": year, "days": len(days), "revision": entry.revision},
        )
    return entry


def year_recomputed(*, year: int, revision: int | None, moved: int, action: Action, actor_label: str) -> None:
    """Mark ``revision`` of ``year`` as recomputed (``moved`` deadlines changed), once: a rerun of the same or an
    older revision changes nothing. ``action`` is the audit action of the module that recomputed."""
    with transaction.atomic():
        entry = HolidayYear.objects.select_for_update().filter(year=year).first()
        if entry is None or revision is None or entry.recomputed_revision >= revision:
            return
        entry.recomputed_revision = revision
        entry.recompute_finished_at = timezone.now()
        entry.recomputed_count = moved
        entry.save(update_fields=["recomputed_revision", "recompute_finished_at", "recomputed_count"])
        record(action, actor_label=actor_label, data={"year": year, "revision": revision, "moved": moved})
