"""Honours (评比), the first stages: a campaign with its weighted criteria, nominations, and opening the mutual
evaluation. Scores and votes are in ``honours.evaluation.services``; the public notice, objections and results in
``honours.publicity.services``.

Each service validates first (a clear error in the user's language, nothing written), then writes in one
transaction with one audit row. The campaign's row is locked wherever its status is read for a change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Criterion,
    Nomination,
    Nominators,
    Subject,
)
from anju.core import screening
from anju.core.images import clean_image
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors as people_selectors
from anju.people.models import Household, Resident

MAX_CRITERIA = 10
MAX_WEIGHT = 100
MAX_PLACES = 50
MAX_DAYS = 60
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDE = 1600


def text(value: str, field: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
    """``value`` trimmed (one line unless ``multiline``), required and at most ``limit`` characters."""
    value = (value or "").strip() if multiline else " ".join((value or "").split())
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


def no_numbers(value: str, field: str) -> str:
    """Text printed on the notice board and certificates carries no phone, ID or card number."""
    if screening.find(value):
        raise ValidationError({field: [_("Published text may not contain phone, ID or card numbers.")]})
    return value


def locked(campaign: Campaign) -> Campaign:
    """The campaign's row, locked: the one place its status is read for a change."""
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def household_of(user: Any) -> Household | None:
    """The household of a signed-in resident (matched in the registry by the account's mobile number)."""
    me = people_selectors.resident_for_user(user)
    return me.household if me is not None else None


def own_household(actor: Any, campaign: Campaign) -> Household:
    """The actor's own household, active and of the campaign's community, or a clear error."""
    household = household_of(actor)
    if household is None:
        raise ValidationError(
            _("Your account is not matched to a household in the registry: ask the station to add your mobile.")
        )
    if household.community_id != campaign.community_id or household.status != Household.Status.ACTIVE:
        raise ValidationError(_("Only households of the campaign's community take part."))
    return household


def area_of(unit: OrgUnit) -> OrgUnit:
    """The area (片区) ``unit`` lies in, or its community when the community has no areas."""
    chain = [*unit.ancestors(), unit]
    areas = [u for u in chain if u.kind == UnitKind.AREA]
    if areas:
        return areas[-1]
    return next(u for u in chain if u.kind == UnitKind.COMMUNITY)


def is_own(nomination: Nomination, household: Household) -> bool:
    """Whether ``household`` is the nominee or part of it (its own household, a member, its lane)."""
    if nomination.household_id is not None:
        return nomination.household_id == household.pk
    if nomination.resident is not None:
        return nomination.resident.household_id == household.pk
    return nomination.unit is not None and household.unit.is_within(nomination.unit)


# --- campaigns --------------------------------------------------------------------------------


def campaign_create(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    subject: str,
    period_start: dt.date,
    period_end: dt.date,
    criteria: list[tuple[str, int]],
    description: str = "",
    nominators: str = Nominators.RESIDENTS,
    places: int = 3,
    shortlist_size: int = 5,
    notice_days: int = 7,
    vote_round: bool = False,
    vote_days: int = 7,
    points: int = 0,
    request: HttpRequest | None = None,
) -> Campaign:
    """A draft campaign of ``community`` with its ``criteria`` (name, weight)."""
    errors: dict[str, list[str]] = {}
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    try:
        title = no_numbers(text(title, "title", 60), "title")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        description = no_numbers(text(description, "description", 2000, required=False, multiline=True), "description")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if subject not in Subject.values:
        errors["subject"] = [_("Choose what is honoured: a lane or building, a household or a person.")]
    if nominators not in Nominators.values:
        errors["nominators"] = [_("Choose who may nominate.")]
    if period_start is None or period_end is None or period_end < period_start:
        errors["period_end"] = [_("The period ends on or after its start.")]
    if not 1 <= places <= MAX_PLACES:
        errors["places"] = [_("Give between 1 and %(n)d honours.") % {"n": MAX_PLACES}]
    if not places <= shortlist_size <= MAX_PLACES * 2:
        errors["shortlist_size"] = [_("The shortlist holds at least as many as the honours given.")]
    for field, days in (("notice_days", notice_days), ("vote_days", vote_days)):
        if not 1 <= days <= MAX_DAYS:
            errors[field] = [_("Between 1 and %(n)d days.") % {"n": MAX_DAYS}]
    if not 0 <= points <= 10000:
        errors["points"] = [_("Between 0 and %(n)d points.") % {"n": 10000}]
    try:
        rows = clean_criteria(criteria)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        rows = []
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            community=community,
            title=title,
            subject=subject,
            description=description,
            nominators=nominators,
            period_start=period_start,
            period_end=period_end,
            places=places,
            shortlist_size=shortlist_size,
            notice_days=notice_days,
            vote_round=vote_round,
            vote_days=vote_days,
            points=points,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        Criterion.objects.bulk_create(
            Criterion(community=community, campaign=campaign, position=n, name=name, weight=weight)
            for n, (name, weight) in enumerate(rows, start=1)
        )
        record(
            Action.HONOURS_CAMPAIGN_CREATED,
            actor=actor,
            obj=campaign,
            request=request,
            data={"title": title, "subject": subject, "criteria": [[n, w] for n, w in rows], "points": points},
        )
    return campaign


def clean_criteria(criteria: list[tuple[str, int]]) -> list[tuple[str, int]]:
    rows: list[tuple[str, int]] = []
    for name, weight in criteria:
        name = no_numbers(text(name, "criteria", 60, required=False), "criteria")
        if not name:
            continue
        if not isinstance(weight, int) or not 1 <= weight <= MAX_WEIGHT:
            raise ValidationError({"criteria": [_("Each weight is between 1 and %(n)d.") % {"n": MAX_WEIGHT}]})
        rows.append((name, weight))
    if not rows:
        raise ValidationError({"criteria": [_("Give at least one criterion with its weight.")]})
    if len(rows) > MAX_CRITERIA:
        raise ValidationError({"criteria": [_("At most %(n)d criteria.") % {"n": MAX_CRITERIA}]})
    if len({n for n, _w in rows}) != len(rows):
        raise ValidationError({"criteria": [_("Each criterion has its own name.")]})
    return rows


def criteria_set(
    *, actor: Any, campaign: Campaign, criteria: list[tuple[str, int]], request: HttpRequest | None = None
) -> list[Criterion]:
    """Replace the criteria of a campaign still in draft."""
    rows = clean_criteria(criteria)
    with transaction.atomic():
        campaign = locked(campaign)
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError(_("The criteria are fixed once nominations open."))
        Criterion.objects.filter(campaign=campaign).delete()
        made = Criterion.objects.bulk_create(
            Criterion(community_id=campaign.community_id, campaign=campaign, position=n, name=name, weight=weight)
            for n, (name, weight) in enumerate(rows, start=1)
        )
        record(
            Action.HONOURS_CRITERIA_SET,
            actor=actor,
            obj=campaign,
            request=request,
            data={"criteria": [[n, w] for n, w in rows]},
        )
    return made


def nominations_open(*, actor: Any, campaign: Campaign, request: HttpRequest | None = None) -> Campaign:
    """Draft → nominations."""
    with transaction.atomic():
        campaign = locked(campaign)
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError(_("Only a draft campaign opens for nominations."))
        if not Criterion.objects.filter(campaign=campaign).exists():
            raise ValidationError(_("Give at least one criterion with its weight."))
        campaign.status = CampaignStatus.NOMINATING
        campaign.save(update_fields=["status", "updated_at"])
        record(Action.HONOURS_NOMINATIONS_OPENED, actor=actor, obj=campaign, request=request, data={})
    return campaign


# --- nominations ------------------------------------------------------------------------------


def nominate(
    *,
    actor: Any,
    campaign: Campaign,
    reason: str,
    name: str = "",
    unit: OrgUnit | None = None,
    household: Household | None = None,
    resident: Resident | None = None,
    photo: Any = None,
    request: HttpRequest | None = None,
) -> Nomination:
    """Put forward a nominee of the campaign's kind (``unit`` for a lane or building, ``household`` or
    ``resident``), with the reason and an optional photo. Staff nominate always; residents when the campaign lets
    every household nominate (the nominating household is recorded, never shown)."""
    errors: dict[str, list[str]] = {}
    staff = policy.can(actor, "honours.manage", campaign)
    by_household = None
    if not staff:
        if campaign.nominators != Nominators.RESIDENTS:
            raise ValidationError(_("In this campaign the community's staff nominate."))
        by_household = own_household(actor, campaign)
    target: Any = {Subject.UNIT: unit, Subject.HOUSEHOLD: household, Subject.PERSON: resident}.get(
        Subject(campaign.subject)
    )
    extra = [x for x in (unit, household, resident) if x is not None and x is not target]
    if target is None or extra:
        errors["nominee"] = [_("Choose the nominee this campaign honours.")]
    elif target.community_id != campaign.community_id:
        errors["nominee"] = [_("Choose a nominee of the campaign's community.")]
    elif unit is not None and unit.kind not in (UnitKind.AREA, UnitKind.GRID, UnitKind.BUILDING):
        errors["nominee"] = [_("Choose a lane, grid or building.")]
    elif getattr(target, "status", "active") != "active":
        errors["nominee"] = [_("Choose a nominee who lives in the community now.")]
    try:
        reason = text(reason, "reason", 1000, multiline=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        name = no_numbers(text(name or default_name(target), "name", 60), "name")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    picture = None
    if photo is not None:
        try:
            picture = clean_image(photo, field="photo", max_bytes=PHOTO_MAX_BYTES, max_side=PHOTO_MAX_SIDE)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    where = unit if unit is not None else target.unit
    try:
        with transaction.atomic():
            campaign = locked(campaign)
            if campaign.status != CampaignStatus.NOMINATING:
                raise ValidationError(_("Nominations are not open in this campaign."))
            nomination = Nomination(
                community_id=campaign.community_id,
                campaign=campaign,
                unit=unit,
                household=household,
                resident=resident,
                area=area_of(where),
                name=name,
                reason=screening.screen(reason),
                nominated_by=actor,
                by_household=by_household,
            )
            if picture is not None:
                nomination.photo = picture.content
            nomination.save()
            record(
                Action.HONOURS_NOMINATED,
                actor=actor,
                obj=campaign,
                request=request,
                data={"nomination": nomination.pk, "name": name, "staff": staff},
            )
    except IntegrityError as exc:
        raise ValidationError({"nominee": [_("This nominee has been put forward already.")]}) from exc
    return nomination


def default_name(target: Any) -> str:
    if target is None:
        return ""
    if isinstance(target, Household):
        return str(target.address)
    return str(getattr(target, "name", "") or target)


def scoring_open(*, actor: Any, campaign: Campaign, request: HttpRequest | None = None) -> Campaign:
    """Nominations → mutual evaluation (成果互评)."""
    with transaction.atomic():
        campaign = locked(campaign)
        if campaign.status != CampaignStatus.NOMINATING:
            raise ValidationError(_("Open the mutual evaluation after the nominations."))
        count = Nomination.objects.filter(campaign=campaign).count()
        if count == 0:
            raise ValidationError(_("Nobody has been nominated yet."))
        campaign.status = CampaignStatus.SCORING
        campaign.save(update_fields=["status", "updated_at"])
        record(Action.HONOURS_SCORING_OPENED, actor=actor, obj=campaign, request=request, data={"nominees": count})
    return campaign
