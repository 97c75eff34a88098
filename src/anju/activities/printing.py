"""Paper for an activity's session: the sign-in sheet (签到表) people sign at the door, and the roster (名单)
with each registration's state. Both show participants' names, so each showing is recorded as an export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from anju.access import policy
from anju.activities.models import Registration, Session
from anju.audit import services as audit_services
from anju.core import printing

BLANK_ROWS = 6  # lines left for walk-ins at the foot of a sign-in sheet


def _session(request: HttpRequest, action: str, session_id: int) -> Session:
    session: Session = policy.get_for(
        request.user,
        action,
        Session.objects.select_related("activity", "activity__space", "community"),
        pk=session_id,
    )
    return session


@policy.permission("activity.checkin")
def signin_sheet(request: HttpRequest, session_id: int) -> HttpResponse:
    """The 签到表: everyone holding a place (and walk-ins so far), by name, with a column to sign in."""
    session = _session(request, "activity.checkin", session_id)
    regs = list(
        session.registrations.filter(status__in=(*Registration.HOLDING, Registration.Status.WALK_IN)).order_by(
            "created_at", "pk"
        )
    )
    fmt = printing.wanted_format(request)
    audit_services.print_recorded(
        actor=request.user, document="signin_sheet", obj=session, people=len(regs), fmt=fmt, request=request
    )
    return printing.print_response(
        request,
        "activities/print_signin.html",
        {"session": session, "registrations": regs, "blank_rows": range(len(regs) + 1, len(regs) + 1 + BLANK_ROWS)},
        filename=f"signin-{session.pk}",
        fmt=fmt,
    )


@policy.permission("activity.manage")
def roster_print(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's roster on paper: every registration, its state, who registered it, check-in and out."""
    session = _session(request, "activity.manage", session_id)
    regs = list(
        session.registrations.select_related("registered_by", "checked_in_by").order_by("status", "created_at", "pk")
    )
    fmt = printing.wanted_format(request)
    audit_services.print_recorded(
        actor=request.user, document="roster", obj=session, people=len(regs), fmt=fmt, request=request
    )
    return printing.print_response(
        request,
        "activities/print_roster.html",
        {"session": session, "registrations": regs},
        filename=f"roster-{session.pk}",
        fmt=fmt,
    )
