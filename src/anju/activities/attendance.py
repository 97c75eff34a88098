"""Attendance of an activity by session, household and registry tag, and its Excel export.

Every view is one aggregate query, whatever the number of sessions, households or participants."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.activities.models import Activity, Helper, Registration, Session
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.excel import safe_row
from anju.core.text import local_minute
from anju.people.models import tag_label

COUNTED = (Registration.Status.CONFIRMED, Registration.Status.WALK_IN)


@dataclass
class Row:
    label: str
    registered: int = 0  # confirmed places
    checked_in: int = 0
    walk_ins: int = 0
    checked_out: int = 0
    key: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> str:
        """Checked in of the confirmed places (walk-ins left out), as a percentage."""
        registered_in = self.checked_in - self.walk_ins
        if not self.registered:
            return "–"
        return f"{round(100 * registered_in / self.registered)}%"


@dataclass
class Report:
    activity: Activity
    sessions: list[Row]
    households: list[Row]
    tags: list[Row]
    total: Row
    helper_hours: Any = 0
    # False when the reader may not see where participants live (DESIGN rule 3): ``households`` is empty.
    with_households: bool = True


def _counts() -> dict[str, Any]:
    return {
        "registered": Count("pk", filter=Q(status=Registration.Status.CONFIRMED), distinct=True),
        "checked_in": Count("pk", filter=Q(checked_in_at__isnull=False), distinct=True),
        "walk_ins": Count("pk", filter=Q(status=Registration.Status.WALK_IN), distinct=True),
        "checked_out": Count("pk", filter=Q(checked_out_at__isnull=False), distinct=True),
    }


def _row(label: str, data: dict[str, Any] | None, key: Any = None) -> Row:
    data = data or {}
    return Row(
        label=label,
        registered=data.get("registered", 0),
        checked_in=data.get("checked_in", 0),
        walk_ins=data.get("walk_ins", 0),
        checked_out=data.get("checked_out", 0),
        key=key,
    )


def _base(activity: Activity) -> QuerySet[Registration]:
    return Registration.objects.filter(session__activity=activity, status__in=COUNTED).order_by()


def _household_label(entry: dict[str, Any]) -> str:
    parts = [entry["household__address__unit__name"] or ""]
    entrance = entry["household__address__entrance"] or ""
    if entrance:
        parts.append(_("Entrance %(n)s") % {"n": entrance} if entrance.isdigit() else entrance)
    parts.append(entry["household__address__door"] or "")
    label = " ".join(p for p in parts if p)
    number = entry["household__number"]
    return f"{label} ({number})" if number else label


def _household_rows(activity: Activity) -> list[Row]:
    rows = []
    no_household = None
    for e in (
        _base(activity)
        .values(
            "household_id",
            "household__address__unit__name",
            "household__address__entrance",
            "household__address__door",
            "household__number",
        )
        .annotate(**_counts())
        .order_by(
            "household__address__unit__path", "household__address__entrance", "household__address__door", "household_id"
        )
    ):
        if e["household_id"] is None:
            no_household = _row(_("Without a household (walk-ins, accounts without a registry entry)"), e)
        else:
            rows.append(_row(_household_label(e), e, key=e["household_id"]))
    if no_household is not None:
        rows.append(no_household)
    return rows


def may_see_households(user: Any, activity: Activity) -> bool:
    """Households are shown by address (building, entrance, door): only to the activity's organisers, not to
    the volunteers at the door."""
    return policy.can(user, "activity.manage", activity)


def attendance_report(activity: Activity, *, households: bool = True) -> Report:
    """Attendance per session, per household and per registry tag, and the totals (six queries; five without
    the households, which are left out for a reader who may not see addresses)."""
    sessions = list(Session.objects.filter(activity=activity).order_by("starts_at", "pk"))
    per_session = {e["session_id"]: e for e in _base(activity).values("session_id").annotate(**_counts())}
    session_rows = []
    for s in sessions:
        row = _row(local_minute(s.starts_at), per_session.get(s.pk), key=s)
        row.extra["cancelled"] = s.status == Session.Status.CANCELLED
        session_rows.append(row)
    household_rows = _household_rows(activity) if households else []
    tags = []
    untagged = None
    for e in (
        _base(activity)
        .values("resident__tags__id", "resident__tags__name")
        .annotate(**_counts())
        .order_by("resident__tags__sort_order", "resident__tags__name")
    ):
        if e["resident__tags__id"] is None:
            untagged = _row(_("No tag"), e)
        else:
            tags.append(_row(tag_label(e["resident__tags__name"]), e, key=e["resident__tags__id"]))
    if untagged is not None:
        tags.append(untagged)
    total = _row(_("Total"), _base(activity).aggregate(**_counts()))
    hours = Helper.objects.filter(activity=activity).aggregate(h=Sum("hours"))["h"] or 0
    return Report(activity, session_rows, household_rows, tags, total, hours, with_households=households)


def attendance_xlsx(*, actor: Any, activity: Activity, request: HttpRequest | None = None) -> bytes:
    """The attendance workbook: a sheet per view (sessions, households, tags), the participants, and the
    volunteers who helped. Only for the activity's organisers (names and addresses)."""
    from openpyxl import Workbook

    if not may_see_households(actor, activity):  # participants' names and households' addresses
        raise PermissionDenied
    report = attendance_report(activity)
    book = Workbook()
    head = [_("Registered"), _("Checked in"), _("Walk-ins"), _("Checked out"), _("Attendance rate")]

    def sheet_of(title: str, first: str, rows: list[Row]) -> None:
        sheet = book.create_sheet(title)
        sheet.append([first, *head])
        for r in [*rows, report.total]:
            sheet.append(safe_row([r.label, r.registered, r.checked_in, r.walk_ins, r.checked_out, r.rate]))

    people = book.active  # the first sheet: one row per participant
    assert people is not None  # noqa: S101
    people.title = _("Participants")
    people.append([_("Session"), _("Participant"), _("Status"), _("Checked in"), _("Checked out"), _("Collected by")])
    regs = (
        Registration.objects.filter(session__activity=activity)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("session")
        .order_by("session__starts_at", "created_at", "pk")
    )
    for reg in regs:
        people.append(
            safe_row(
                [
                    local_minute(reg.session.starts_at),
                    reg.name,
                    str(reg.get_status_display()),
                    timezone.localtime(reg.checked_in_at).strftime("%H:%M") if reg.checked_in_at else "",
                    timezone.localtime(reg.checked_out_at).strftime("%H:%M") if reg.checked_out_at else "",
                    reg.guardian,
                ]
            )
        )
    sheet_of(_("Sessions"), _("Session"), report.sessions)
    sheet_of(_("Households"), _("Household"), report.households)
    sheet_of(_("Tags"), _("Tag"), report.tags)
    helpers = book.create_sheet(_("Volunteers"))
    helpers.append([_("Volunteer"), _("Session"), _("Hours"), _("What they did"), _("Recorded by")])
    for h in Helper.objects.filter(activity=activity).select_related("session", "recorded_by").order_by("pk"):
        helpers.append(
            safe_row(
                [
                    h.name,
                    local_minute(h.session.starts_at) if h.session else _("Whole activity"),
                    float(h.hours),
                    h.task,
                    str(h.recorded_by),
                ]
            )
        )
    out = io.BytesIO()
    book.save(out)
    with transaction.atomic():
        record(Action.ACTIVITY_ATTENDANCE_EXPORTED, actor=actor, obj=activity, request=request)
    return out.getvalue()
