"""Intake: filing an appeal (by a resident, on someone's behalf, anonymously, by API or Open311), similar open
appeals, and following one instead (我也遇到)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import clock, notes, notify
from anju.appeals.models import (
    ON_BEHALF_CHANNELS,
    OPEN_STATUSES,
    Appeal,
    AppealFollower,
    AppealPhoto,
    Category,
    Channel,
    IntakeCounter,
    Status,
    Urgency,
)
from anju.appeals.photos import clean_photos
from anju.appeals.policies import forget_follows
from anju.appeals.rates import rollup
from anju.appeals.requesters import services as requesters
from anju.appeals.services import InvalidTransition, timeline_event
from anju.appeals.sla import compute_deadlines
from anju.audit.actions import Action
from anju.audit.services import client_ip, record
from anju.core import crypto, screening
from anju.core.masking import is_valid_mainland_mobile, normalise_mobile
from anju.orgs.models import OrgUnit, UnitKind


class RateLimited(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _grid_of(location: OrgUnit) -> int | None:
    if location.kind == UnitKind.GRID:
        return location.pk
    if location.parent_id and OrgUnit.parent.is_cached(location):  # loaded with the location: no query
        parent = location.parent
        if parent is not None and parent.kind == UnitKind.GRID:
            return parent.pk
    grid = OrgUnit.objects.filter(path__in=location.ancestor_paths, kind=UnitKind.GRID).first()
    return grid.pk if grid else None


def _rate_limit(request: HttpRequest | None, at: dt.datetime, *, purpose: str = "appeal-intake-ip") -> None:
    """Count one public request of ``purpose`` for the client's address in this hour; ``RateLimited`` beyond
    the hour's limit (the address is kept only as a keyed hash)."""
    ip = client_ip(request) or "unknown"
    key = crypto.blind_index(ip, purpose=purpose)
    window = at.replace(minute=0, second=0, microsecond=0)
    if purpose == LOOKUP_PURPOSE:
        limit = int(getattr(settings, "ANJU_APPEAL_LOOKUPS_PER_HOUR", 10))
        message = _("Too many lookups from this address. Please try again in an hour.")
    else:
        limit = int(getattr(settings, "ANJU_APPEAL_ANONYMOUS_PER_HOUR", 5))
        message = _("Too many anonymous reports from this address. Please try again in an hour.")
    try:
        with transaction.atomic():
            IntakeCounter.objects.get_or_create(key=key, window_start=window)
    except IntegrityError:
        pass
    if not IntakeCounter.objects.filter(key=key, window_start=window, count__lt=limit).update(count=F("count") + 1):
        raise RateLimited(message)


LOOKUP_PURPOSE = "appeal-lookup-ip"


def progress_lookup(*, number: str, mobile: str, request: HttpRequest | None = None) -> Appeal | None:
    """The appeal with this number whose callback mobile is ``mobile`` — or None, the same for a number that
    does not exist and a mobile that does not match, so the lookup tells nothing about other people's appeals.
    Every attempt counts against the address's hourly limit (``RateLimited``)."""
    with transaction.atomic():
        _rate_limit(request, clock.now(), purpose=LOOKUP_PURPOSE)
    digits = number.strip().upper().removeprefix("A")
    phone = normalise_mobile(mobile or "")
    if not digits.isdigit() or len(digits) > 10 or not is_valid_mainland_mobile(phone):
        return None
    index = crypto.blind_index(phone, purpose="appeal-mobile")
    return (
        Appeal.objects.select_related("community", "category")
        .filter(pk=int(digits), contact_mobile_index=index)
        .first()
    )


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
    for themself is linked to their registry entry (see ``appeals.requesters.services``)."""
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if category is None or not category.is_active:
        errors["category"] = [_("Choose a category from the catalogue.")]
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > 2000:
        errors["description"] = [_("Keep the description under 2000 characters.")]
    if location is None or not location.is_within(community):
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
            description=screening.screen(description),  # numbers sealed on the way in
            location=location,
            grid_id=_grid_of(location),
            address=screening.screen((address or "").strip()[:200]),
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
        timeline_event(appeal, actor=actor, action="filed", note_key=notes.FILED, note_params={"channel": str(channel)})
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
            OrgUnit.subtree_q(scope, "location__"),
            category=category,
            received_at__gte=since,
            status__in=OPEN_STATUSES,
        )
        .exclude(status=Status.DUPLICATE)
        .select_related("location", "category")
        .order_by("-received_at")[:limit]
    )


def appeal_follow(*, actor: Any, appeal: Appeal, offer: str, request: HttpRequest | None = None) -> AppealFollower:
    """ "我也遇到": follow an open appeal instead of filing a new one; followers are called back too.

    Only an appeal the system offered this resident as similar while filing (``offer``, a token of
    ``privacy.offer_token``); anything else is refused like a missing appeal (``Http404``), so an id
    cannot be used to open a neighbour's appeal. The follower then reads the public view (``privacy``)."""
    from django.http import Http404

    from anju.appeals import privacy

    if not policy.can(actor, "appeal.file", appeal.community) or not privacy.offer_valid(actor, appeal, offer):
        raise Http404
    if appeal.status not in OPEN_STATUSES:
        raise InvalidTransition(_("This appeal is closed; file a new one instead."))
    with transaction.atomic():
        follower, created = AppealFollower.objects.get_or_create(
            appeal=appeal, user=actor, defaults={"community_id": appeal.community_id}
        )
        forget_follows(appeal)
        if created:
            timeline_event(appeal, actor=actor, action="followed", note_key=notes.FOLLOWED)
            record(Action.APPEAL_FOLLOWED, actor=actor, obj=appeal, request=request)
    return follower
