"""Check-in and check-out of activity sessions: the window the door is open, the signed QR code and the short
code, scanning, ticking the list, walk-ins, check-out with a guardian, and a session's attendance."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.activities.models import Registration, Session
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.text import local_minute

CHECKIN_SALT = "anju.activities.checkin"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
# The check-in window (station-wide; override in settings): check-in, walk-ins and ticking the list open this
# many minutes before a session starts and close this many minutes after it ends; check-out stays open a while
# longer (a guardian collects a child after the end). Spaces open check-in 15 minutes before a booking
# (``spaces.checkin.CHECKIN_EARLY_MINUTES``); an activity needs longer to get everyone through the door.
CHECKIN_OPENS_BEFORE_MINUTES = 30
CHECKIN_CLOSES_AFTER_MINUTES = 0
CHECKOUT_CLOSES_AFTER_MINUTES = 120


@dataclass(frozen=True)
class CheckinWindow:
    opens: datetime
    closes: datetime  # check-in and walk-ins
    checkout_closes: datetime


def _minutes(name: str, default: int) -> int:
    return max(int(getattr(settings, name, default)), 0)


def checkin_window(session: Session) -> CheckinWindow:
    """When a session's door is open: the one rule for the door page, the codes, the list, walk-ins and
    check-out (``ANJU_ACTIVITY_CHECKIN_OPENS_BEFORE_MINUTES``, ``ANJU_ACTIVITY_CHECKIN_CLOSES_AFTER_MINUTES``,
    ``ANJU_ACTIVITY_CHECKOUT_CLOSES_AFTER_MINUTES``; defaults above)."""
    before = _minutes("ANJU_ACTIVITY_CHECKIN_OPENS_BEFORE_MINUTES", CHECKIN_OPENS_BEFORE_MINUTES)
    after = _minutes("ANJU_ACTIVITY_CHECKIN_CLOSES_AFTER_MINUTES", CHECKIN_CLOSES_AFTER_MINUTES)
    out = _minutes("ANJU_ACTIVITY_CHECKOUT_CLOSES_AFTER_MINUTES", CHECKOUT_CLOSES_AFTER_MINUTES)
    return CheckinWindow(
        opens=session.starts_at - timedelta(minutes=before),
        closes=session.ends_at + timedelta(minutes=after),
        checkout_closes=session.ends_at + timedelta(minutes=max(out, after)),
    )


def checkin_refusal(session: Session, now: datetime, *, checkout: bool = False) -> str | None:
    """Why the door of ``session`` is shut at ``now`` (None when it is open)."""
    if session.status != Session.Status.OPEN:
        return _("This session has been cancelled.")
    window = checkin_window(session)
    if now < window.opens:
        return _("Check-in opens at %(when)s, %(n)d minutes before the start.") % {
            "when": local_minute(window.opens),
            "n": round((session.starts_at - window.opens).total_seconds() / 60),
        }
    closes = window.checkout_closes if checkout else window.closes
    if now > closes:
        if checkout:
            return _("Check-out closed at %(when)s.") % {"when": local_minute(closes)}
        return _("Check-in closed at %(when)s: the session is over.") % {"when": local_minute(closes)}
    return None


def _require_open_door(session: Session, now: datetime, field: str, *, checkout: bool = False) -> None:
    refusal = checkin_refusal(session, now, checkout=checkout)
    if refusal:
        raise ValidationError({field: [refusal]})


def new_short_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def checkin_token(registration: Registration) -> str:
    """The signed code shown as a QR: which registration, for which session."""
    # A plain (untimed) signature: the same registration always shows the same QR; the code stops working
    # when its session is over (checked on scanning).
    return signing.Signer(salt=CHECKIN_SALT).sign_object(
        {"r": registration.pk, "s": registration.session_id}, compress=True
    )


def _find_by_code(code: str) -> Registration:
    code = (code or "").strip()
    reg = None
    if ":" in code:
        try:
            data = signing.Signer(salt=CHECKIN_SALT).unsign_object(code)
        except signing.BadSignature:
            data = None
        if isinstance(data, dict):
            reg = Registration.objects.filter(pk=data.get("r") or 0, session_id=data.get("s") or 0).first()
    elif len(code) == CODE_LENGTH:
        reg = Registration.objects.filter(short_code=code.upper()).first()
    if reg is None:
        raise ValidationError({"code": [_("We could not find this check-in code. Please check it and type it again.")]})
    return reg


CHECKED_IN_STATUSES = (Registration.Status.CONFIRMED, Registration.Status.WALK_IN)


@dataclass
class CheckIn:
    registration: Registration
    already: bool  # it was checked in before this scan


def _mark_in(actor: Any, reg: Registration, now: datetime, request: HttpRequest | None, how: str) -> CheckIn:
    with transaction.atomic():
        # One conditional UPDATE decides: of two scans at once only one finds the registration not checked in.
        # The status is part of the condition: a registration cancelled meanwhile is not checked in.
        changed = Registration.objects.filter(
            pk=reg.pk, checked_in_at__isnull=True, status__in=CHECKED_IN_STATUSES
        ).update(checked_in_at=now, checked_in_by=actor)
        if changed:
            record(Action.ACTIVITY_CHECKED_IN, actor=actor, obj=reg, request=request, data={"how": how})
    reg.refresh_from_db()
    if not changed and reg.checked_in_at is None:
        raise ValidationError(
            {
                "code": [
                    _("%(name)s has no confirmed place (%(status)s).")
                    % {"name": reg.name, "status": reg.get_status_display()}
                ]
            }
        )
    return CheckIn(reg, already=not changed)


def checkin_scan(
    *, actor: Any, session: Session, code: str, now: datetime | None = None, request: HttpRequest | None = None
) -> CheckIn:
    """Check in by the QR's signed code or the short code; scanning twice answers "already checked in"."""
    now = now or timezone.now()
    reg = _find_by_code(code)
    if reg.session_id != session.pk:
        other = Session.objects.select_related("activity").get(pk=reg.session_id)
        raise ValidationError(
            {
                "code": [
                    _("This code is for another session: %(title)s, %(when)s.")
                    % {
                        "title": other.activity.title,
                        "when": local_minute(other.starts_at),
                    }
                ]
            }
        )
    _require_open_door(session, now, "code")
    if reg.status not in (Registration.Status.CONFIRMED, Registration.Status.WALK_IN):
        raise ValidationError(
            {
                "code": [
                    _("%(name)s has no confirmed place (%(status)s).")
                    % {"name": reg.name, "status": reg.get_status_display()}
                ]
            }
        )
    return _mark_in(actor, reg, now, request, "code")


def checkin_tick(
    *, actor: Any, registration: Registration, now: datetime | None = None, request: HttpRequest | None = None
) -> CheckIn:
    now = now or timezone.now()
    if registration.status not in (Registration.Status.CONFIRMED, Registration.Status.WALK_IN):
        raise ValidationError({"__all__": [_("Only a confirmed place can be checked in.")]})
    _require_open_door(registration.session, now, "__all__")
    return _mark_in(actor, registration, now, request, "list")


def walk_in_add(
    *, actor: Any, session: Session, name: str, now: datetime | None = None, request: HttpRequest | None = None
) -> Registration:
    """Someone who comes to the door without registering: recorded and checked in (holds no booked place)."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the walk-in's name.")]})
    _require_open_door(session, now, "name")
    with transaction.atomic():
        reg = Registration.objects.create(
            community_id=session.community_id,
            session=session,
            name=name[:50],
            status=Registration.Status.WALK_IN,
            registered_by=actor,
            short_code=new_short_code(),
            checked_in_at=now,
            checked_in_by=actor,
        )
        record(Action.ACTIVITY_WALK_IN, actor=actor, obj=reg, request=request)
    return reg


def checkout(
    *,
    actor: Any,
    registration: Registration,
    guardian: str = "",
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Registration:
    """Check a participant out; when the activity needs it, record the guardian who collected the child."""
    now = now or timezone.now()
    guardian = (guardian or "").strip()[:50]
    activity = registration.session.activity
    if registration.checked_in_at is None:
        raise ValidationError({"__all__": [_("%(name)s has not been checked in.") % {"name": registration.name}]})
    _require_open_door(registration.session, now, "__all__", checkout=True)
    if activity.guardian_checkout and not guardian:
        raise ValidationError(
            {"guardian": [_("Name the guardian who collects %(name)s.") % {"name": registration.name}]}
        )
    with transaction.atomic():
        changed = Registration.objects.filter(
            pk=registration.pk, checked_in_at__isnull=False, checked_out_at__isnull=True
        ).update(checked_out_at=now, checked_out_by=actor, guardian=guardian)
        if not changed:
            raise ValidationError({"__all__": [_("%(name)s is already checked out.") % {"name": registration.name}]})
        record(Action.ACTIVITY_CHECKED_OUT, actor=actor, obj=registration, request=request, data={"guardian": guardian})
    registration.refresh_from_db()
    return registration


@dataclass
class Attendance:
    session: Session
    registered: int
    checked_in: int
    walk_ins: int
    checked_out: int


def attendance(session: Session) -> Attendance:
    regs = Registration.objects.filter(session=session)
    return Attendance(
        session=session,
        registered=regs.filter(status=Registration.Status.CONFIRMED).count(),
        checked_in=regs.filter(checked_in_at__isnull=False).count(),
        walk_ins=regs.filter(status=Registration.Status.WALK_IN).count(),
        checked_out=regs.filter(checked_out_at__isnull=False).count(),
    )
