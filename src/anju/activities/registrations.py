"""Registrations: signing up (confirmed or on the waiting list), cancelling, offers of freed places and their
expiry, and promotion from the waiting list. Every change of a session's held places runs on the session row
locked for update, inside one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.activities import notices
from anju.activities.audience import suits
from anju.activities.checkin import new_short_code
from anju.activities.models import Activity, Registration, Session
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.text import local_minute
from anju.people import selectors as people_selectors
from anju.people.models import Resident


def registration_create(
    *,
    actor: Any,
    session: Session,
    resident: Resident | None = None,
    reason: str = "",
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Registration:
    """Register the actor (no ``resident``) or a resident: a member of the actor's household, or anyone
    within reach when the actor may register on behalf. A place is confirmed while one is free; otherwise the
    registration joins the waiting list."""
    now = now or timezone.now()
    activity = session.activity
    reason = (reason or "").strip()[:200]
    on_behalf = False
    me = people_selectors.resident_for_user(actor)
    if resident is None:
        participant = me
        user = actor
        name = me.name if me is not None else str(actor)
    else:
        own = me is not None and resident.household_id == me.household_id
        if not own:
            if not policy.can(actor, "activity.register_for", activity):
                raise ValidationError({"resident": [_("You can register only yourself and your household.")]})
            on_behalf = True
        if resident.community_id != activity.community_id:
            raise ValidationError({"resident": [_("The resident does not live in this activity's community.")]})
        participant = resident
        user = actor if resident == me else None
        name = resident.name
    errors: list[str] = []
    if activity.status != Activity.Status.OPEN:
        errors.append(_("This activity has been cancelled."))
    elif session.status != Session.Status.OPEN:
        errors.append(_("This session has been cancelled."))
    elif session.starts_at <= now:
        errors.append(_("This session has already started."))
    elif now < activity.registration_opens_at:
        errors.append(_("Registration opens at %(when)s.") % {"when": local_minute(activity.registration_opens_at)})
    elif now > activity.registration_closes_at:
        errors.append(_("Registration has closed."))
    if not errors and not suits(activity, participant):
        if not on_behalf:
            errors.append(_("This activity is for another group of residents."))
        elif not reason:
            errors.append(_("The resident is not in the activity's target group: give a reason to register them."))
    if errors:
        raise ValidationError({"__all__": errors})
    household = participant.household if participant is not None else None
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        live = Registration.objects.filter(session=locked, status__in=Registration.LIVE)
        same = live.filter(resident=participant) if participant is not None else live.filter(user=user)
        if same.exists():
            raise ValidationError({"__all__": [_("%(name)s is already registered for this session.") % {"name": name}]})
        if (
            household is not None
            and activity.household_limit
            and live.filter(household=household).count() >= activity.household_limit
        ):
            raise ValidationError(
                {
                    "__all__": [
                        _("A household can register at most %(n)d people for this session.")
                        % {"n": activity.household_limit}
                    ]
                }
            )
        if locked.taken < locked.capacity:
            Session.objects.filter(pk=locked.pk).update(taken=F("taken") + 1)
            status = Registration.Status.CONFIRMED
        else:
            status = Registration.Status.WAITLISTED
        registration = Registration.objects.create(
            community_id=locked.community_id,
            session=locked,
            user=user,
            resident=participant,
            household=household,
            name=name[:50],
            status=status,
            registered_by=actor,
            reason=reason if on_behalf else "",
            short_code=new_short_code(),
        )
        record(
            Action.ACTIVITY_REGISTERED,
            actor=actor,
            obj=registration,
            request=request,
            data={
                "session": locked.pk,
                "status": status,
                "on_behalf": on_behalf,
                "reason": reason if on_behalf else "",
            },
        )
    return registration


def _offer_next(session: Session, now: datetime) -> int:
    """Offer freed places of a locked session to the next people on its waiting list."""
    offered = 0
    hours = session.activity.offer_hours
    while session.taken < session.capacity:
        nxt = (
            Registration.objects.filter(session=session, status=Registration.Status.WAITLISTED)
            .order_by("created_at", "pk")
            .first()
        )
        if nxt is None:
            break
        until = min(now + timedelta(hours=hours), session.starts_at)
        Registration.objects.filter(pk=nxt.pk).update(status=Registration.Status.OFFERED, offer_expires_at=until)
        Session.objects.filter(pk=session.pk).update(taken=F("taken") + 1)
        session.taken += 1
        offered += 1
        notices.tell(notices.OFFER, nxt, session, deadline=local_minute(until))
    return offered


def waitlist_promote(session: Session) -> int:
    """Places the organiser added (a raised capacity) go straight to the next people on the waiting list:
    confirmed, with a notice (a locked session, inside a transaction)."""
    if session.status != Session.Status.OPEN or session.starts_at <= timezone.now():
        return 0
    free = session.capacity - session.taken
    if free <= 0:
        return 0
    nxt = list(
        Registration.objects.filter(session=session, status=Registration.Status.WAITLISTED).order_by(
            "created_at", "pk"
        )[:free]
    )
    if not nxt:
        return 0
    Registration.objects.filter(pk__in=[r.pk for r in nxt]).update(status=Registration.Status.CONFIRMED)
    Session.objects.filter(pk=session.pk).update(taken=F("taken") + len(nxt))
    session.taken += len(nxt)
    for reg in nxt:
        notices.tell(notices.PROMOTED, reg, session)
    return len(nxt)


def _release(
    registration: Registration, status_reason: str, now: datetime, *, expected: tuple[str, ...] = Registration.LIVE
) -> Registration | None:
    """Cancel a registration (inside a transaction); a held place goes to the next on the waiting list.

    The session row, then the registration row, are locked (PostgreSQL; SQLite's IMMEDIATE transaction already
    serialises writers) and the status is read again under the lock: when it is no longer one of ``expected``
    (someone else cancelled it, the offer was taken up …) nothing changes and None is returned, so that of
    two simultaneous cancels exactly one changes the row and writes its audit row."""
    session = Session.objects.select_for_update().select_related("activity").get(pk=registration.session_id)
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if reg.status not in expected:
        return None
    held = reg.status in Registration.HOLDING
    changed = Registration.objects.filter(pk=reg.pk, status=reg.status).update(
        status=Registration.Status.CANCELLED, cancel_reason=status_reason[:200], offer_expires_at=None
    )
    if not changed:  # the row lock above makes this unreachable; the conditional UPDATE is the last guard
        return None
    if held:
        Session.objects.filter(pk=session.pk).update(taken=F("taken") - 1)
        session.taken -= 1
        _offer_next(session, now)
    reg.refresh_from_db()
    return reg


def registration_cancel(
    *, actor: Any, registration: Registration, reason: str = "", request: HttpRequest | None = None
) -> Registration:
    """Cancel a registration: its participant (or whoever registered them) or the organiser; when the
    organiser cancels, a reason is required and the participant gets a notice."""
    reason = (reason or "").strip()
    if registration.status == Registration.Status.CANCELLED:
        raise ValidationError({"__all__": [_("This registration is already cancelled.")]})
    by_organiser = actor.pk not in (registration.user_id, registration.registered_by_id)
    if by_organiser and not reason:
        raise ValidationError({"reason": [_("Say why the registration is cancelled; the participant is told.")]})
    now = timezone.now()
    with transaction.atomic():
        if Session.objects.filter(pk=registration.session_id, ends_at__lte=now).exists():
            raise ValidationError(
                {"__all__": [_("This session is over; its registrations can no longer be cancelled.")]}
            )
        released = _release(registration, reason, now)
        if released is None:  # cancelled meanwhile (a second tap, another phone): one change, one audit row
            raise ValidationError({"__all__": [_("This registration is already cancelled.")]})
        reg = released
        if by_organiser:
            session = Session.objects.select_related("activity", "activity__community").get(pk=reg.session_id)
            notices.tell(notices.REGISTRATION_CANCELLED, reg, session, besides=actor, reason=reason[:200])
        record(
            Action.ACTIVITY_REGISTRATION_CANCELLED, actor=actor, obj=reg, request=request, data={"reason": reason[:200]}
        )
    return reg


def registration_accept(*, actor: Any, registration: Registration, request: HttpRequest | None = None) -> Registration:
    """Take up a place offered from the waiting list."""
    with transaction.atomic():
        reg = Registration.objects.select_for_update().get(pk=registration.pk)
        if reg.status != Registration.Status.OFFERED or (
            reg.offer_expires_at and reg.offer_expires_at <= timezone.now()
        ):
            raise ValidationError({"__all__": [_("No place is offered to this registration any more.")]})
        Registration.objects.filter(pk=reg.pk).update(status=Registration.Status.CONFIRMED, offer_expires_at=None)
        reg.refresh_from_db()
        session = Session.objects.select_related("activity", "activity__community").get(pk=reg.session_id)
        notices.tell(notices.PROMOTED, reg, session, besides=actor)
        record(Action.ACTIVITY_OFFER_ACCEPTED, actor=actor, obj=reg, request=request)
    return reg


def offers_expire(*, now: datetime | None = None, batch: int = 100) -> int:
    """Pass unanswered offers on to the next on the waiting list (run by the worker; harmless to repeat)."""
    now = now or timezone.now()
    ids = list(
        Registration.objects.filter(status=Registration.Status.OFFERED, offer_expires_at__lte=now).values_list(
            "pk", flat=True
        )[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            reg = Registration.objects.get(pk=pk)
            released = _release(
                reg, _("The offered place was not taken up in time."), now, expected=(Registration.Status.OFFERED,)
            )
            if released is None:  # taken up or cancelled meanwhile
                continue
            reg = released
            session = Session.objects.select_related("activity", "activity__community").get(pk=reg.session_id)
            notices.tell(notices.OFFER_EXPIRED, reg, session)
            record(Action.ACTIVITY_OFFER_EXPIRED, actor=None, obj=reg, actor_label="worker")
            done += 1
    return done


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id,
        status=Registration.Status.WAITLISTED,
        created_at__lte=registration.created_at,
    ).exclude(pk=registration.pk)
    ahead = ahead.exclude(created_at=registration.created_at, pk__gt=registration.pk)
    return ahead.count() + 1
