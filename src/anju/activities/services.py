"""State changes of activities and registrations.

Every change of a session's held places runs on the session row locked for update, inside one transaction
(IMMEDIATE on SQLite, so writers queue; ``SELECT … FOR UPDATE`` on PostgreSQL). The CHECK constraint on
``Session.taken`` is the last guard: a bug that tried to hold more places than the capacity fails the write.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.accounts import policy
from anju.activities import notices
from anju.activities.models import Activity, Registration, Session
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.images import clean_image
from anju.core.text import local_minute
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors as people_selectors
from anju.people.models import Resident, Tag
from anju.spaces import services as space_services
from anju.spaces.models import Booking, Space
from anju.spaces.recurrence import Recurrence, expand

MAX_SESSIONS = 52
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
POSTER_MAX_SIDE = 1600


def poster_max_bytes() -> int:
    return int(getattr(settings, "ANJU_POSTER_MAX_BYTES", 5 * 1024 * 1024))


def clean_poster(poster: Any) -> Any:
    """A poster through the shared image pipeline (real image, size cap, EXIF stripped); None when absent."""
    if not poster:
        return None
    return clean_image(poster, field="poster", max_bytes=poster_max_bytes(), max_side=POSTER_MAX_SIDE)


def _recipients(reg: Registration, *, besides: Any = None) -> list[int]:
    """Who hears about a registration: the participant's account and whoever registered them."""
    skip = getattr(besides, "pk", besides)
    return [pk for pk in {reg.user_id, reg.registered_by_id} if pk is not None and pk != skip]


def _notify(kind: str, reg: Registration, session: Session, *, besides: Any = None, **params: Any) -> None:
    recipients = _recipients(reg, besides=besides)
    if not recipients:
        return
    activity = session.activity
    notices.send(
        kind=kind,
        recipients=recipients,
        community=activity.community_id,
        activity_id=activity.pk,
        params={"name": reg.name, "activity": activity.title, "when": local_minute(session.starts_at), **params},
    )


# --- who an activity suits ---------------------------------------------------------------------------------


def suits(activity: Activity, resident: Resident | None) -> bool:
    """Everyone suits an activity without a target group; otherwise the resident needs one of its tags."""
    wanted = {t.pk for t in activity.target_tags.all()}
    if not wanted:
        return True
    if resident is None:
        return False
    return bool(wanted & {t.pk for t in resident.tags.all()})


# --- activities ----------------------------------------------------------------------------------------------


def activity_create(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    description: str = "",
    category: str = Activity.Category.OTHER,
    target_tags: list[Tag] | None = None,
    space: Space | None = None,
    weeks: int = 1,
    recurrence: Recurrence | None = None,
    household_limit: int = 0,
    guardian_checkout: bool = False,
    offer_hours: int = 24,
    poster: Any = None,
    request: HttpRequest | None = None,
) -> Activity:
    """Create an activity of one session, of ``weeks`` weekly sessions, or of the sessions of a
    ``recurrence`` (spaces' rule: every Tuesday for eight weeks …); when a place is given, its space is booked
    for every session through the booking service (nothing is created when any date is taken)."""
    title = (title or "").strip()
    errors = _naive_errors(
        starts_at=starts_at,
        ends_at=ends_at,
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
    )
    if errors:
        raise ValidationError(errors)
    if recurrence is None and weeks > 1:
        recurrence = Recurrence(freq="weekly", count=weeks)
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("An activity belongs to a community.")]
    if not title:
        errors["title"] = [_("Enter a title.")]
    if category not in Activity.Category.values:
        errors["category"] = [_("Choose a valid category.")]
    if capacity < 1:
        errors["capacity"] = [_("An activity has at least one place.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if registration_closes_at <= registration_opens_at:
        errors["registration_closes_at"] = [_("Registration must close after it opens.")]
    elif registration_closes_at > starts_at:
        errors["registration_closes_at"] = [_("Registration must close by the start of the activity.")]
    if not 1 <= weeks <= MAX_SESSIONS:
        errors["weeks"] = [_("A series has 1 to %(n)d weekly sessions.") % {"n": MAX_SESSIONS}]
    if household_limit < 0:
        errors["household_limit"] = [_("The places per household cannot be negative.")]
    if offer_hours < 1:
        errors["offer_hours"] = [_("Give at least one hour to answer a freed place.")]
    tags = list(target_tags or [])
    if any(t.community_id != community.pk for t in tags):
        errors["target_tags"] = [_("Choose tags of the activity's community.")]
    if space is not None and space.community_id != community.pk:
        errors["space"] = [_("Choose a space of the activity's community.")]
    occurrences: list[tuple[datetime, datetime]] = [(starts_at, ends_at)]
    if not errors and recurrence is not None:
        occurrences = expand(recurrence, starts_at, ends_at)  # raises on a malformed rule
        if len(occurrences) > MAX_SESSIONS:
            errors["recurrence"] = [_("A series has at most %(n)d sessions.") % {"n": MAX_SESSIONS}]
    if errors:
        raise ValidationError(errors)
    image = clean_poster(poster)
    with transaction.atomic():
        activity = Activity.objects.create(
            community=community,
            title=title[:200],
            description=description,
            category=category,
            organiser=actor,
            space=space,
            capacity=capacity,
            registration_opens_at=registration_opens_at,
            registration_closes_at=registration_closes_at,
            household_limit=household_limit,
            guardian_checkout=guardian_checkout,
            offer_hours=offer_hours,
        )
        activity.target_tags.set(tags)
        if space is not None:
            result = space_services.booking_create(
                actor=actor,
                space=space,
                starts_at=starts_at,
                ends_at=ends_at,
                title=title[:200],
                recurrence=recurrence,
                on_conflict="fail",
                request=request,
            )
            if result.closed:
                raise ValidationError({"space": [_("The space is closed on some dates of this series.")]})
            times: list[tuple[datetime, datetime, Booking | None]] = [
                (b.starts_at, b.ends_at, b) for b in result.bookings
            ]
        else:
            times = [(s, e, None) for s, e in occurrences]
        Session.objects.bulk_create(
            Session(community=community, activity=activity, booking=b, starts_at=s, ends_at=e, capacity=capacity)
            for s, e, b in times
        )
        if image is not None:  # last, so that a taken space leaves no file behind
            activity.poster_width, activity.poster_height = image.width, image.height
            activity.poster.save(image.content.name, image.content, save=True)
        record(
            Action.ACTIVITY_CREATED,
            actor=actor,
            obj=activity,
            request=request,
            data={"title": activity.title, "sessions": len(times), "capacity": capacity},
        )
    return activity


def _naive_errors(**values: Any) -> dict[str, list[str]]:
    """Times must carry their time zone (the API may send naive ones)."""
    return {
        name: [_("Give the time with its time zone, e.g. %(example)s.") % {"example": "2026-12-05T14:00+08:00"}]
        for name, value in values.items()
        if isinstance(value, datetime) and timezone.is_naive(value)
    }


def _window_errors(opens: datetime, closes: datetime, last_start: datetime | None) -> dict[str, list[str]]:
    naive = _naive_errors(registration_opens_at=opens, registration_closes_at=closes)
    if naive:
        return naive
    if closes <= opens:
        return {"registration_closes_at": [_("Registration must close after it opens.")]}
    if last_start is not None and closes > last_start:
        return {"registration_closes_at": [_("Registration must close by the start of the last session.")]}
    return {}


EDITABLE = (
    "title",
    "description",
    "category",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "household_limit",
    "guardian_checkout",
    "offer_hours",
)


def activity_update(
    *,
    actor: Any,
    activity: Activity,
    target_tags: list[Tag] | None = None,
    poster: Any = None,
    remove_poster: bool = False,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Activity:
    """Change an activity's details. A new capacity applies to every session still to come; it may not be
    lower than the places already held in any of them (nothing changes then). Raising it promotes the next
    people on the waiting lists. The place and times stay: cancel a session and create a new one instead."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if activity.status != Activity.Status.OPEN:
        raise ValidationError({"__all__": [_("A cancelled activity cannot be changed.")]})
    values = {name: changes.get(name, getattr(activity, name)) for name in EDITABLE}
    values["title"] = (values["title"] or "").strip()[:200]
    errors: dict[str, list[str]] = {}
    if not values["title"]:
        errors["title"] = [_("Enter a title.")]
    if values["category"] not in Activity.Category.values:
        errors["category"] = [_("Choose a valid category.")]
    if values["capacity"] is None or values["capacity"] < 1:
        errors["capacity"] = [_("An activity has at least one place.")]
    if values["household_limit"] < 0:
        errors["household_limit"] = [_("The places per household cannot be negative.")]
    if values["offer_hours"] < 1:
        errors["offer_hours"] = [_("Give at least one hour to answer a freed place.")]
    last = activity.sessions.order_by("-starts_at").values_list("starts_at", flat=True).first()
    errors |= _window_errors(values["registration_opens_at"], values["registration_closes_at"], last)
    tags = None if target_tags is None else list(target_tags)
    if tags is not None and any(t.community_id != activity.community_id for t in tags):
        errors["target_tags"] = [_("Choose tags of the activity's community.")]
    if errors:
        raise ValidationError(errors)
    image = clean_poster(poster)
    now = timezone.now()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        changed = {k: v for k, v in values.items() if getattr(locked, k) != v}
        capacity = values["capacity"]
        coming: list[Session] = []
        if "capacity" in changed:
            coming = list(
                Session.objects.select_for_update()
                .select_related("activity")
                .filter(activity=locked, status=Session.Status.OPEN, ends_at__gt=now)
                .order_by("starts_at")
            )
            over = [s for s in coming if s.taken > capacity]
            if over:
                raise ValidationError(
                    {
                        "capacity": [
                            _(
                                "%(n)d places are already taken on %(when)s; the capacity cannot be lower. "
                                "Cancel registrations first."
                            )
                            % {"n": max(s.taken for s in over), "when": local_minute(over[0].starts_at)}
                        ]
                    }
                )
        for k, v in changed.items():
            setattr(locked, k, v)
        if changed:
            locked.save(update_fields=list(changed))
        for session in coming:
            Session.objects.filter(pk=session.pk).update(capacity=capacity)
            session.capacity = capacity
            session.activity = locked
            _promote(session)
        data: dict[str, Any] = {k: (str(v) if isinstance(v, datetime) else v) for k, v in changed.items()}
        if tags is not None and {t.pk for t in tags} != {t.pk for t in locked.target_tags.all()}:
            locked.target_tags.set(tags)
            data["target_tags"] = sorted(t.name for t in tags)
        old = locked.poster.name if locked.poster else ""
        if remove_poster and image is None and old:
            locked.poster = ""
            locked.poster_width = locked.poster_height = 0
            locked.save(update_fields=["poster", "poster_width", "poster_height"])
            data["poster"] = "removed"
        if image is not None:
            locked.poster_width, locked.poster_height = image.width, image.height
            locked.poster.save(image.content.name, image.content, save=False)
            locked.save(update_fields=["poster", "poster_width", "poster_height"])
            data["poster"] = "replaced"
        if old and "poster" in data:
            storage = locked.poster.storage
            transaction.on_commit(lambda: storage.delete(old))
        if data:
            record(Action.ACTIVITY_CHANGED, actor=actor, obj=locked, request=request, data=data)
    return locked


def _cancel_session_rows(session: Session, reason: str) -> list[Registration]:
    """Cancel a session's live registrations (inside a transaction; its booking is released by the caller,
    with the others, without an audit row of its own); returns the registrations that were live, to be told."""
    live = list(Registration.objects.filter(session=session, status__in=Registration.LIVE).order_by("pk"))
    Registration.objects.filter(pk__in=[r.pk for r in live]).update(
        status=Registration.Status.CANCELLED, cancel_reason=reason[:200], offer_expires_at=None
    )
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED, cancel_reason=reason[:200], taken=0)
    return live


def _release_bookings(actor: Any, sessions: list[Session], reason: str) -> list[int]:
    """Free the rooms booked for cancelled sessions: one locked update in the spaces app, no audit row there
    (the activity's audit row lists the bookings)."""
    ids = [s.booking_id for s in sessions if s.booking_id is not None]
    return space_services.bookings_release(actor=actor, booking_ids=ids, reason=reason) if ids else []


def session_cancel(*, actor: Any, session: Session, reason: str, request: HttpRequest | None = None) -> Session:
    """The organiser cancels one session: its registrations are cancelled (each participant is told), its
    booked space is released."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the session is cancelled; the participants are told.")]})
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Session.objects.select_for_update().select_related("activity", "activity__community").get(pk=session.pk)
        )
        if locked.status != Session.Status.OPEN:
            raise ValidationError({"__all__": [_("This session is already cancelled.")]})
        if locked.ends_at <= now:
            raise ValidationError({"__all__": [_("This session is over; it cannot be cancelled.")]})
        told = _cancel_session_rows(locked, reason)
        released = _release_bookings(actor, [locked], reason)
        for reg in told:
            _notify(notices.SESSION_CANCELLED, reg, locked, besides=actor, reason=reason[:200])
        record(
            Action.ACTIVITY_SESSION_CANCELLED,
            actor=actor,
            obj=locked.activity,
            request=request,
            data={"session": locked.pk, "reason": reason[:200], "registrations": len(told), "bookings": released},
        )
    locked.refresh_from_db()
    return locked


def activity_cancel(*, actor: Any, activity: Activity, reason: str, request: HttpRequest | None = None) -> Activity:
    """The organiser cancels the whole activity: every session still to come is cancelled with its
    registrations and booking; everyone registered is told once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the activity is cancelled; the participants are told.")]})
    now = timezone.now()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().select_related("community").get(pk=activity.pk)
        if locked.status != Activity.Status.OPEN:
            raise ValidationError({"__all__": [_("This activity is already cancelled.")]})
        locked.status = Activity.Status.CANCELLED
        locked.cancel_reason = reason[:200]
        locked.save(update_fields=["status", "cancel_reason"])
        told: list[Registration] = []
        sessions = list(
            Session.objects.select_for_update().filter(activity=locked, status=Session.Status.OPEN, ends_at__gt=now)
        )
        for session in sessions:
            told += _cancel_session_rows(session, reason)
        released = _release_bookings(actor, sessions, reason)
        notices.send(
            kind=notices.ACTIVITY_CANCELLED,
            recipients={pk for reg in told for pk in _recipients(reg, besides=actor)},
            community=locked.community_id,
            activity_id=locked.pk,
            params={"activity": locked.title, "reason": reason[:200]},
        )
        record(
            Action.ACTIVITY_CANCELLED,
            actor=actor,
            obj=locked,
            request=request,
            data={
                "reason": reason[:200],
                "sessions": len(sessions),
                "registrations": len(told),
                "bookings": released,
            },
        )
    return locked


def session_set_capacity(*, actor: Any, session: Session, capacity: int, request: HttpRequest | None = None) -> Session:
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if capacity < locked.taken:
            raise ValidationError(
                {"capacity": [_("%(n)d places are already taken; the capacity cannot be lower.") % {"n": locked.taken}]}
            )
        Session.objects.filter(pk=locked.pk).update(capacity=capacity)
        locked.capacity = capacity
        _promote(locked)
        record(Action.ACTIVITY_CHANGED, actor=actor, obj=locked.activity, request=request, data={"capacity": capacity})
    locked.refresh_from_db()
    return locked


# --- registrations -------------------------------------------------------------------------------------------


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
        _notify(notices.OFFER, nxt, session, deadline=local_minute(until))
    return offered


def _promote(session: Session) -> int:
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
        _notify(notices.PROMOTED, reg, session)
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
            _notify(notices.REGISTRATION_CANCELLED, reg, session, besides=actor, reason=reason[:200])
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
        _notify(notices.PROMOTED, reg, session, besides=actor)
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
            _notify(notices.OFFER_EXPIRED, reg, session)
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


# --- check-in and check-out ----------------------------------------------------------------------------------


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
        raise ValidationError({"code": [_("This code is not valid: it is not one of ours or it has been altered.")]})
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
