"""Every state change of an appeal. One transaction each, one audit row, a timeline step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts import policy
from anju.appeals import clock, notify, requesters, rollup
from anju.appeals.models import (
    ON_BEHALF_CHANNELS,
    OPEN_STATUSES,
    Appeal,
    AppealAssist,
    AppealEvent,
    AppealFollower,
    AppealPhoto,
    Callback,
    Category,
    CategoryRoute,
    Channel,
    HolidayDate,
    HolidayYear,
    IntakeCounter,
    SatisfactionLevel,
    Status,
    Urgency,
)
from anju.appeals.photos import clean_photos
from anju.appeals.sla import compute_deadlines, set_due
from anju.appeals.workdays import Calendar
from anju.audit.actions import Action
from anju.audit.services import client_ip, record
from anju.core import crypto
from anju.core.api import Conflict
from anju.core.masking import is_valid_mainland_mobile, normalise_mobile
from anju.orgs.models import Department, OrgUnit, UnitKind


class InvalidTransition(Conflict):
    """A step asked for in the wrong state (answered 409)."""


class RateLimited(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _require(actor: Any, action: str, appeal: Appeal) -> None:
    if actor is None:  # the system itself (demo loader, worker)
        return
    if not policy.can(actor, action, appeal):
        raise PermissionDenied


def _label(actor: Any) -> str:
    if actor is None:
        return "anju"
    return str(actor)[:100]


def _event(
    appeal: Appeal,
    *,
    actor: Any,
    action: str,
    from_status: str = "",
    note: str = "",
    public: bool = True,
    department: Department | None = None,
) -> AppealEvent:
    return AppealEvent.objects.create(
        community_id=appeal.community_id,
        appeal=appeal,
        action=action,
        from_status=from_status,
        to_status=appeal.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        department=department,
        note=note,
        public=public,
        at=clock.now(),
    )


def default_department(category: Category, location: OrgUnit) -> Department | None:
    """The routing rule of the nearest unit at or above ``location``."""
    paths = [*location.ancestor_paths, location.path]
    route = (
        CategoryRoute.objects.filter(category=category, unit__path__in=paths)
        .select_related("department")
        .order_by("-unit__depth")
        .first()
    )
    return route.department if route else None


def _grid_of(location: OrgUnit) -> int | None:
    if location.kind == UnitKind.GRID:
        return location.pk
    if location.parent_id and OrgUnit.parent.is_cached(location):  # loaded with the location: no query
        parent = location.parent
        if parent is not None and parent.kind == UnitKind.GRID:
            return parent.pk
    grid = OrgUnit.objects.filter(path__in=location.ancestor_paths, kind=UnitKind.GRID).first()
    return grid.pk if grid else None


# --- intake -------------------------------------------------------------------------------------


def _rate_limit(request: HttpRequest | None, at: dt.datetime) -> None:
    ip = client_ip(request) or "unknown"
    key = crypto.blind_index(ip, purpose="appeal-intake-ip")
    window = at.replace(minute=0, second=0, microsecond=0)
    limit = int(getattr(settings, "ANJU_APPEAL_ANONYMOUS_PER_HOUR", 5))
    try:
        with transaction.atomic():
            IntakeCounter.objects.get_or_create(key=key, window_start=window)
    except IntegrityError:
        pass
    if not IntakeCounter.objects.filter(key=key, window_start=window, count__lt=limit).update(count=F("count") + 1):
        raise RateLimited(_("Too many anonymous reports from this address. Please try again in an hour."))


def appeal_file(
    *,
    actor: Any,
    community: OrgUnit,
    category: Category | None,
    description: str,
    location: OrgUnit | None,
    channel: str,
    urgency: str = Urgency.GENERAL,
    is_complex: bool = False,
    address: str = "",
    lat: Any = None,
    lng: Any = None,
    contact_name: str = "",
    contact_mobile: str = "",
    consent: bool = False,
    requester: Any = None,
    requester_resident: Any = None,
    photos: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Appeal:
    """File an appeal: by a resident for themself, by a volunteer or worker on someone's behalf,
    or anonymously (``actor`` None) with a contact number. On someone's behalf, the resident may be
    picked from the registry (``requester_resident``) instead of entering a contact; a resident filing
    for themself is linked to their registry entry (see ``appeals.requesters``)."""
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if category is None or not category.is_active:
        errors["category"] = [_("Choose a category from the catalogue.")]
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > 2000:
        errors["description"] = [_("Keep the description under 2000 characters.")]
    if location is None or not location.path.startswith(community.path):
        errors["location"] = [_("Choose a place inside the community.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose how the appeal arrived.")]
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    mobile = normalise_mobile(contact_mobile or "")
    on_behalf = channel in ON_BEHALF_CHANNELS
    anonymous = actor is None or (channel in (Channel.ANONYMOUS, Channel.OPEN311) and requester is None)
    if anonymous or (on_behalf and requester is None and requester_resident is None):
        if not (contact_name or "").strip():
            errors["contact_name"] = [_("Enter the name of the person to call back.")]
        if not is_valid_mainland_mobile(mobile):
            errors["contact_mobile"] = [_("Enter an 11-digit mobile number.")]
    elif mobile and not is_valid_mainland_mobile(mobile):
        errors["contact_mobile"] = [_("Enter an 11-digit mobile number.")]
    errors.update(
        requesters.check_pick(
            actor=actor, community=community, channel=channel, resident=requester_resident, mobile=mobile
        )
    )
    if on_behalf and not consent:
        errors["consent"] = [_("Confirm that the resident agreed to file this appeal.")]
    if (lat not in (None, "") and not -90 <= float(lat) <= 90) or (
        lng not in (None, "") and not -180 <= float(lng) <= 180
    ):
        errors["location"] = [_("The coordinates are not valid.")]
    if errors:
        raise ValidationError(errors)
    if (
        actor is not None
        and channel not in (Channel.ANONYMOUS, Channel.OPEN311)
        and not policy.can(actor, "appeal.file", community)
    ):
        raise PermissionDenied
    cleaned = clean_photos(photos)
    if category is None or location is None:  # for the type checker; validated above
        raise ValidationError({"category": [_("Choose a category from the catalogue.")]})
    at = clock.now()
    with transaction.atomic():
        if actor is None and channel == Channel.ANONYMOUS:
            _rate_limit(request, at)
        if requester is None and actor is not None and not on_behalf and channel != Channel.OPEN311:
            requester = actor
        appeal = Appeal(
            community=community,
            category=category,
            description=description,
            location=location,
            grid_id=_grid_of(location),
            address=(address or "").strip()[:200],
            lat=lat if lat not in ("", None) else None,
            lng=lng if lng not in ("", None) else None,
            urgency=urgency,
            is_complex=is_complex,
            channel=channel,
            requester=requester,
            requester_resident=requesters.resident_to_link(
                requester=requester, community=community, channel=channel, picked=requester_resident
            ),
            filed_by=actor if getattr(actor, "is_authenticated", False) else None,
            consent=consent or not on_behalf,
            received_at=at,
        )
        if contact_name:
            appeal.contact_name_sealed = crypto.encrypt(contact_name.strip()[:60])
        if mobile:
            appeal.contact_mobile_sealed = crypto.encrypt(mobile)
            appeal.contact_mobile_index = crypto.blind_index(mobile, purpose="appeal-mobile")
        compute_deadlines(appeal)
        appeal.save()
        for photo in cleaned:
            AppealPhoto.objects.create(
                community=community,
                appeal=appeal,
                image=photo.content,
                width=photo.width,
                height=photo.height,
                uploaded_by=appeal.filed_by,
            )
        how = Channel(channel).label
        _event(appeal, actor=actor, action="filed", note=str(how))
        rollup.bump_appeal(appeal, day=at, received=1)
        notify.notify(
            notify.community_staff(appeal),
            appeal=appeal,
            kind="appeal.filed",
            title=_("New appeal %(number)s: %(category)s") % {"number": appeal.number, "category": category.name},
        )
        record(
            Action.APPEAL_FILED,
            actor=actor,
            obj=appeal,
            community=community,
            request=request,
            actor_label="" if actor else "anonymous",
            data={
                "channel": channel,
                "category": category.code,
                "photos": len(cleaned),
                "consent": appeal.consent,
                "registry": appeal.requester_resident_id is not None,
            },
        )
    return appeal


def similar_open(category: Category, location: OrgUnit, *, days: int = 30, limit: int = 5) -> list[Appeal]:
    """Open appeals of the same category in the same building or area within ``days``."""
    since = clock.now() - dt.timedelta(days=days)
    scope = location
    if location.kind == UnitKind.BUILDING and location.parent_id:
        scope = location.parent or location
    return list(
        Appeal.objects.filter(
            category=category,
            location__path__startswith=scope.path,
            received_at__gte=since,
            status__in=OPEN_STATUSES,
        )
        .exclude(status=Status.DUPLICATE)
        .select_related("location", "category")
        .order_by("-received_at")[:limit]
    )


def appeal_follow(*, actor: Any, appeal: Appeal, request: HttpRequest | None = None) -> AppealFollower:
    """ "我也遇到": follow an open appeal instead of filing a new one; followers are called back too."""
    if not policy.can(actor, "appeal.file", appeal.community):
        raise PermissionDenied
    if appeal.status not in OPEN_STATUSES:
        raise InvalidTransition(_("This appeal is closed; file a new one instead."))
    with transaction.atomic():
        follower, created = AppealFollower.objects.get_or_create(
            appeal=appeal, user=actor, defaults={"community_id": appeal.community_id}
        )
        if created:
            _event(appeal, actor=actor, action="followed", note=_("Another resident has the same problem."))
            record(Action.APPEAL_FOLLOWED, actor=actor, obj=appeal, request=request)
    return follower


# --- transitions --------------------------------------------------------------------------------

ACTION_LABELS = {
    "accept": gettext_lazy("accepted"),
    "reject": gettext_lazy("rejected"),
    "duplicate": gettext_lazy("marked as a duplicate"),
    "dispatch": gettext_lazy("dispatched"),
    "refer": gettext_lazy("referred back"),
    "sign": gettext_lazy("signed for"),
    "contact": gettext_lazy("marked as contacted"),
    "progress": gettext_lazy("updated"),
    "wait": gettext_lazy("put on hold"),
    "feedback": gettext_lazy("given handling feedback"),
    "verify": gettext_lazy("verified"),
    "return": gettext_lazy("returned to the department"),
    "callback": gettext_lazy("called back"),
    "close": gettext_lazy("closed"),
}

_HANDLING = {Status.SIGNED, Status.IN_PROGRESS, Status.WAITING}


def _transition(
    *,
    actor: Any,
    appeal: Appeal,
    perm: str,
    name: str,
    allowed: Any,
    to: str | None,
    note: str = "",
    public: bool = True,
    request: HttpRequest | None = None,
    mutate: Callable[[Appeal, dt.datetime], dict[str, Any] | None] | None = None,
    recompute: bool = False,
) -> Appeal:
    _require(actor, perm, appeal)
    at = clock.now()
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().select_related("community", "category").get(pk=appeal.pk)
        if locked.status not in allowed:
            raise InvalidTransition(
                _("This appeal is “%(status)s”; it cannot be %(action)s now.")
                % {"status": Status(locked.status).label, "action": ACTION_LABELS.get(name, name)}
            )
        before = locked.status
        if to is not None:
            locked.status = to
        data = (mutate(locked, at) if mutate else None) or {}
        rollup.awaiting_moved(locked, before)
        if recompute:
            compute_deadlines(locked)
        else:
            set_due(locked)
        locked.save()
        _event(locked, actor=actor, action=name, from_status=before, note=note, public=public, department=None)
        record(
            Action.APPEAL_TRANSITION,
            actor=actor,
            obj=locked,
            request=request,
            data={"step": name, "from": before, "to": locked.status, **data},
        )
    appeal.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    # The caller's related objects cached before the step (e.g. ``department`` read as None before the
    # dispatch) would go stale: take the locked row's cache, so anything else loads afresh.
    appeal._state.fields_cache = dict(locked._state.fields_cache)
    return appeal


def _need(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    return text


def appeal_accept(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.accepted_at = at

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="accept",
        allowed={Status.RECEIVED},
        to=Status.ACCEPTED,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_reject(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    reason = _need(reason, "note", _("Give the reason for rejecting."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.closed_at = at

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="reject",
        allowed={Status.RECEIVED, Status.ACCEPTED},
        to=Status.REJECTED,
        note=reason,
        request=request,
        mutate=mutate,
    )


def appeal_mark_duplicate(
    *, actor: Any, appeal: Appeal, original: Appeal, request: HttpRequest | None = None
) -> Appeal:
    if original.pk == appeal.pk or original.community_id != appeal.community_id:
        raise ValidationError({"original": [_("Choose another appeal of the same community.")]})

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        a.duplicate_of = original
        a.closed_at = at
        if a.requester_id:
            AppealFollower.objects.get_or_create(
                appeal=original, user_id=a.requester_id, defaults={"community_id": a.community_id}
            )
        return {"original": original.pk}

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="duplicate",
        allowed={Status.RECEIVED, Status.ACCEPTED},
        to=Status.DUPLICATE,
        note=_("Same problem as appeal %(number)s.") % {"number": original.number},
        request=request,
        mutate=mutate,
    )


def appeal_dispatch(
    *,
    actor: Any,
    appeal: Appeal,
    department: Department | None,
    assisting: Sequence[Department] = (),
    note: str = "",
    request: HttpRequest | None = None,
) -> Appeal:
    """Dispatch (or re-route) to a lead department, with optional assisting departments (首接负责)."""
    if department is None:
        department = default_department(appeal.category, appeal.location)
    if department is None or not department.is_active:
        raise ValidationError({"department": [_("Choose the department to dispatch to.")]})
    if not appeal.community.path.startswith(department.unit.path):
        raise ValidationError({"department": [_("This department does not serve the appeal's community.")]})
    assisting = [d for d in assisting if d.pk != department.pk]

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        a.department = department
        a.dispatched_at = at
        a.signed_at = a.contacted_at = None
        a.responded_on_time = None
        a.waiting_reason = ""
        if a.accepted_at is None:
            a.accepted_at = at
        AppealAssist.objects.filter(appeal=a).exclude(department__in=assisting).delete()
        for d in assisting:
            AppealAssist.objects.get_or_create(appeal=a, department=d, defaults={"community_id": a.community_id})
        rollup.bump_appeal(a, day=at, department_id=department.pk, dispatched=1)
        notify.notify(
            notify.liaisons_of([department.pk, *[d.pk for d in assisting]]),
            appeal=a,
            kind="appeal.dispatched",
            title=_("Appeal %(number)s dispatched to %(department)s")
            % {"number": a.number, "department": department.name},
        )
        return {"department": department.pk, "assisting": [d.pk for d in assisting]}

    label = _("Dispatched to %(department)s.") % {"department": department.name}
    if assisting:
        label += " " + _("Assisting: %(names)s.") % {"names": "、".join(d.name for d in assisting)}
    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="dispatch",
        allowed={Status.RECEIVED, Status.ACCEPTED, Status.REFERRED, Status.DISPATCHED},
        to=Status.DISPATCHED,
        note=(label + " " + note).strip(),
        request=request,
        mutate=mutate,
        recompute=True,
    )


def appeal_refer(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    """The department says it is not theirs: back to the community for re-dispatch."""
    reason = _need(reason, "note", _("Say why this is not your department's."))
    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="refer",
        allowed={Status.DISPATCHED, Status.SIGNED},
        to=Status.REFERRED,
        note=reason,
        request=request,
    )


def _check_response(a: Appeal) -> None:
    """Response counts once per dispatch: signed and contacted, both within their deadlines."""
    if a.responded_on_time is not None or a.signed_at is None or a.contacted_at is None:
        return
    on_time = bool(a.sign_due and a.contact_due and a.signed_at <= a.sign_due and a.contacted_at <= a.contact_due)
    a.responded_on_time = on_time
    if on_time and a.dispatched_at is not None:
        rollup.bump_appeal(a, day=a.dispatched_at, department_id=a.department_id, responded=1)


def appeal_sign(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    def mutate(a: Appeal, at: dt.datetime) -> None:
        if a.signed_at is None:
            a.signed_at = at
        _check_response(a)

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="sign",
        allowed={Status.DISPATCHED, Status.REOPENED},
        to=Status.SIGNED,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_contact(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> Appeal:
    note = _need(note, "note", _("Note how you contacted the requester."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        if a.contacted_at is None:
            a.contacted_at = at
        if a.status == Status.SIGNED:
            a.status = Status.IN_PROGRESS
        _check_response(a)

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="contact",
        allowed=_HANDLING,
        to=None,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_progress(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> Appeal:
    note = _need(note, "note", _("Describe the progress."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.waiting_reason = ""

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="progress",
        allowed=_HANDLING,
        to=Status.IN_PROGRESS,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_wait(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    reason = _need(reason, "note", _("Give the reason for waiting."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.waiting_reason = reason[:200]

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="wait",
        allowed={Status.SIGNED, Status.IN_PROGRESS},
        to=Status.WAITING,
        note=reason,
        request=request,
        mutate=mutate,
    )


def appeal_feedback(
    *, actor: Any, appeal: Appeal, note: str, photos: Sequence[Any] = (), request: HttpRequest | None = None
) -> Appeal:
    note = _need(note, "note", _("Describe how the problem was handled."))
    cleaned = clean_photos(photos)

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        a.handled_at = at
        a.waiting_reason = ""
        if a.contacted_at is None:
            a.contacted_at = at
            _check_response(a)
        for photo in cleaned:
            AppealPhoto.objects.create(
                community_id=a.community_id,
                appeal=a,
                stage=AppealPhoto.Stage.FEEDBACK,
                image=photo.content,
                width=photo.width,
                height=photo.height,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        notify.notify(
            notify.community_staff(a),
            appeal=a,
            kind="appeal.handled",
            title=_("Appeal %(number)s handled; please verify") % {"number": a.number},
        )
        return {"photos": len(cleaned)}

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="feedback",
        allowed=_HANDLING,
        to=Status.HANDLED,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_verify(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.verified_at = at
        parties = [a.requester_id, *AppealFollower.objects.filter(appeal=a).values_list("user_id", flat=True)]
        notify.notify(
            [p for p in parties if p],
            appeal=a,
            kind="appeal.callback",
            title=_("Appeal %(number)s was handled: was it resolved?") % {"number": a.number},
        )

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="verify",
        allowed={Status.HANDLED},
        to=Status.VERIFIED,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_return(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    """Verification failed: back to the department."""
    reason = _need(reason, "note", _("Say what is still wrong."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.handled_at = None

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="return",
        allowed={Status.HANDLED},
        to=Status.IN_PROGRESS,
        note=reason,
        request=request,
        mutate=mutate,
    )


def appeal_close_unresolved(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    """Close without resolution (e.g. the requester cannot be reached, or it cannot be solved)."""
    reason = _need(reason, "note", _("Give the reason for closing unresolved."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.closed_at = at
        rollup.bump_appeal(a, day=at, department_id=a.department_id, completed=1)

    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="close",
        allowed={Status.HANDLED, Status.VERIFIED},
        to=Status.CLOSED_UNRESOLVED,
        note=reason,
        request=request,
        mutate=mutate,
    )


def appeal_callback(
    *,
    actor: Any,
    appeal: Appeal,
    resolved: bool,
    satisfaction: SatisfactionLevel | None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Appeal:
    """The requester's answer (or a worker's record of it). Not satisfied reopens the appeal to the
    same department. A follower's answer is recorded and counted but does not move the appeal
    (``appeals.followers``, which also says how followers' answers count in the three rates)."""
    from anju.appeals import followers

    if satisfaction is None:
        raise ValidationError({"satisfaction": [_("Choose how satisfied you are.")]})
    _require(actor, "appeal.callback", appeal)
    if actor is not None and followers.is_follower(appeal, actor):
        followers.follower_callback(
            actor=actor,
            appeal=appeal,
            follower=actor,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=comment,
            request=request,
        )
        return appeal
    satisfied = satisfaction.counts_as_satisfied

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        respondent = a.requester_id if a.requester_id else None
        Callback.objects.create(
            community_id=a.community_id,
            appeal=a,
            department_id=a.department_id,
            respondent_id=respondent,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=(comment or "").strip()[:1000],
            at=at,
        )
        counts = {"completed": 1, "resolved": int(resolved), "ratings": 1, "satisfied": int(satisfied)}
        if satisfied:
            a.status = Status.CLOSED_RESOLVED if resolved else Status.CLOSED_UNRESOLVED
            a.closed_at = at
        else:
            a.status = Status.REOPENED
            a.reopen_count += 1
            a.handled_at = a.verified_at = None
            a.dispatched_at = at  # the department must sign again, within the signing deadline
            a.signed_at = None
            a.responded_on_time = False  # a reopened appeal's response is not counted again
            counts["reopened"] = 1
            notify.notify(
                notify.liaisons_of([a.department_id]),
                appeal=a,
                kind="appeal.reopened",
                title=_("Appeal %(number)s reopened: the requester is not satisfied") % {"number": a.number},
            )
        rollup.bump_appeal(a, day=at, department_id=a.department_id, **counts)
        return {"resolved": resolved, "satisfaction": satisfaction.code}

    note = _("Resolved: %(resolved)s. %(level)s.") % {
        "resolved": _("yes") if resolved else _("no"),
        "level": satisfaction.label,
    }
    if comment:
        note += " " + comment.strip()[:1000]
    return _transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.callback",
        name="callback",
        allowed={Status.VERIFIED},
        to=None,
        note=note,
        request=request,
        mutate=mutate,
        recompute=True,
    )


def appeal_note(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> AppealEvent:
    """An internal note: staff and the departments see it, the requester does not."""
    note = _need(note, "note", _("Write the note."))
    if not (policy.can(actor, "appeal.triage", appeal) or policy.can(actor, "appeal.handle", appeal)):
        raise PermissionDenied
    with transaction.atomic():
        event = _event(appeal, actor=actor, action="note", from_status=appeal.status, note=note, public=False)
        record(Action.APPEAL_NOTE, actor=actor, obj=appeal, request=request)
    return event


# --- the holiday schedule -----------------------------------------------------------------------


def holidays_set(
    *, actor: Any, year: int, days: Sequence[tuple[dt.date, str]], request: HttpRequest | None = None
) -> int:
    """Enter the official schedule of ``year`` (holidays and make-up working days), then recompute
    the deadlines of every open appeal whose deadlines were provisional. Returns how many were recomputed."""
    errors = []
    for day, kind in days:
        if day.year != year:
            errors.append(_("%(day)s is not in %(year)d.") % {"day": day.isoformat(), "year": year})
        if kind not in HolidayDate.Kind.values:
            errors.append(_("%(day)s: choose holiday or workday.") % {"day": day.isoformat()})
    if errors:
        raise ValidationError({"days": errors})
    with transaction.atomic():
        HolidayDate.objects.filter(date__year=year).delete()
        HolidayDate.objects.bulk_create([HolidayDate(date=d, kind=k) for d, k in days])
        HolidayYear.objects.get_or_create(year=year)
        n = deadlines_recompute()
        record(
            Action.APPEAL_HOLIDAYS_SET,
            actor=actor,
            request=request,
            data={"year": year, "days": len(days), "recomputed": n},
        )
    return n


def deadlines_recompute() -> int:
    cal = Calendar.load()
    n = 0
    for appeal in Appeal.objects.filter(deadlines_provisional=True, status__in=OPEN_STATUSES).iterator():
        compute_deadlines(appeal, cal)
        appeal.save(
            update_fields=[
                "dispatch_due",
                "sign_due",
                "contact_due",
                "feedback_due",
                "deadlines_provisional",
                "due_at",
                "escalation_due_at",
            ]
        )
        n += 1
    return n
