"""State changes of activities, by sub-domain:

- this module — creating, changing and cancelling activities and sessions, posters;
- :mod:`anju.activities.registrations` — registering, cancelling, the waiting list and its offers;
- :mod:`anju.activities.checkin` — the check-in window, QR and short codes, check-in and check-out, attendance;
- :mod:`anju.activities.audience` — who an activity suits;
- :mod:`anju.activities.volunteer_hours` — hours of volunteers who helped.

It re-exports the public names of the first three, so callers keep writing ``services.registration_create(...)``.

Every change of a session's held places runs on the session row locked for update, inside one transaction
(IMMEDIATE on SQLite, so writers queue; ``SELECT … FOR UPDATE`` on PostgreSQL). The CHECK constraint on
``Session.taken`` is the last guard: a bug that tried to hold more places than the capacity fails the write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.activities import notices
from anju.activities.audience import suits
from anju.activities.checkin import (
    CHECKIN_CLOSES_AFTER_MINUTES,
    CHECKIN_OPENS_BEFORE_MINUTES,
    CHECKIN_SALT,
    CHECKOUT_CLOSES_AFTER_MINUTES,
    CODE_ALPHABET,
    CODE_LENGTH,
    Attendance,
    CheckIn,
    CheckinWindow,
    attendance,
    checkin_refusal,
    checkin_scan,
    checkin_tick,
    checkin_token,
    checkin_window,
    checkout,
    new_short_code,
    walk_in_add,
)
from anju.activities.models import Activity, Registration, Session
from anju.activities.registrations import (
    offers_expire,
    registration_accept,
    registration_cancel,
    registration_create,
    waitlist_position,
    waitlist_promote,
)
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.images import clean_image
from anju.core.text import local_minute
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag
from anju.spaces import services as space_services
from anju.spaces.models import Booking, Space
from anju.spaces.recurrence import Recurrence, expand

MAX_SESSIONS = 52
POSTER_MAX_SIDE = 1600


def poster_max_bytes() -> int:
    return int(getattr(settings, "ANJU_POSTER_MAX_BYTES", 5 * 1024 * 1024))


def clean_poster(poster: Any) -> Any:
    """A poster through the shared image pipeline (real image, size cap, EXIF stripped); None when absent."""
    if not poster:
        return None
    return clean_image(poster, field="poster", max_bytes=poster_max_bytes(), max_side=POSTER_MAX_SIDE)


__all__ = [
    "CHECKIN_CLOSES_AFTER_MINUTES",
    "CHECKIN_OPENS_BEFORE_MINUTES",
    "CHECKIN_SALT",
    "CHECKOUT_CLOSES_AFTER_MINUTES",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "EDITABLE",
    "MAX_SESSIONS",
    "POSTER_MAX_SIDE",
    "Attendance",
    "CheckIn",
    "CheckinWindow",
    "activity_cancel",
    "activity_create",
    "activity_update",
    "attendance",
    "checkin_refusal",
    "checkin_scan",
    "checkin_tick",
    "checkin_token",
    "checkin_window",
    "checkout",
    "clean_poster",
    "new_short_code",
    "offers_expire",
    "poster_max_bytes",
    "registration_accept",
    "registration_cancel",
    "registration_create",
    "session_cancel",
    "session_set_capacity",
    "suits",
    "waitlist_position",
    "waitlist_promote",
    "walk_in_add",
]


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


def _plain(value: Any) -> Any:
    """A value as an audit diff holds it (JSON): datetimes and decimals as text."""
    return value if value is None or isinstance(value, bool | int | str | list) else str(value)


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
        before = {k: getattr(locked, k) for k in changed}
        for k, v in changed.items():
            setattr(locked, k, v)
        if changed:
            locked.save(update_fields=list(changed))
        for session in coming:
            Session.objects.filter(pk=session.pk).update(capacity=capacity)
            session.capacity = capacity
            session.activity = locked
            waitlist_promote(session)
        diff_ = {k: [_plain(before[k]), _plain(v)] for k, v in changed.items()}
        if tags is not None and {t.pk for t in tags} != {t.pk for t in locked.target_tags.all()}:
            diff_["target_tags"] = [sorted(t.name for t in locked.target_tags.all()), sorted(t.name for t in tags)]
            locked.target_tags.set(tags)
        old = locked.poster.name if locked.poster else ""
        if remove_poster and image is None and old:
            locked.poster = ""
            locked.poster_width = locked.poster_height = 0
            locked.save(update_fields=["poster", "poster_width", "poster_height"])
            diff_["poster"] = [old, None]
        if image is not None:
            locked.poster_width, locked.poster_height = image.width, image.height
            locked.poster.save(image.content.name, image.content, save=False)
            locked.save(update_fields=["poster", "poster_width", "poster_height"])
            diff_["poster"] = [old or None, locked.poster.name]
        if old and "poster" in diff_:
            storage = locked.poster.storage
            transaction.on_commit(lambda: storage.delete(old))
        if diff_:
            data = {"changed": diff_}
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
            notices.tell(notices.SESSION_CANCELLED, reg, locked, besides=actor, reason=reason[:200])
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
            recipients={pk for reg in told for pk in notices.recipients_of(reg, besides=actor)},
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
        waitlist_promote(locked)
        record(Action.ACTIVITY_CHANGED, actor=actor, obj=locked.activity, request=request, data={"capacity": capacity})
    locked.refresh_from_db()
    return locked
