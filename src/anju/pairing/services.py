"""Every state change of pairing: central households, pairings, care levels, cadences, visits, the digest.

Each service validates first (a clear error in the user's language, nothing written), then writes in one
transaction with one audit row per change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.core import screening
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import notices
from anju.pairing.models import CadenceUnit, Care, CareLevel, CentralHousehold, DigestSent, Pairing, Visit
from anju.people import services as people_services
from anju.people.models import Household, Relation, Resident

MAX_CAPACITY = 50
AREA_KINDS = (UnitKind.COMMUNITY, UnitKind.AREA, UnitKind.GRID, UnitKind.BUILDING)


def _reason(text: str, field: str = "reason", *, required: bool = True) -> str:
    text = " ".join((text or "").split())
    if required and not text:
        raise ValidationError({field: [_("Give a reason.")]})
    if len(text) > 200:
        raise ValidationError({field: [_("At most 200 characters.")]})
    return text


def _open_count(central: CentralHousehold) -> int:
    return Pairing.objects.filter(central=central, ended_at__isnull=True).count()


# --- central households --------------------------------------------------------------------


def central_designate(
    *,
    actor: Any,
    household: Household,
    member: Resident,
    area: OrgUnit,
    capacity: int = 10,
    carrier: Any = None,
    request: HttpRequest | None = None,
) -> CentralHousehold:
    """Designate ``household`` (with its party member ``member``) a central household serving ``area``."""
    errors: dict[str, list[str]] = {}
    if household.status != Household.Status.ACTIVE:
        errors["household"] = [_("Choose a household that lives here.")]
    if member.household_id != household.pk or not member.is_active or not member.is_party_member:
        errors["member"] = [_("Choose a party member living in this household.")]
    if area.community_id != household.community_id or area.kind not in AREA_KINDS:
        errors["area"] = [_("Choose an area of the household's own community.")]
    if not 1 <= int(capacity) <= MAX_CAPACITY:
        errors["capacity"] = [_("Capacity is between 1 and %(max)d households.") % {"max": MAX_CAPACITY}]
    if carrier is not None and not policy.can(carrier, "people.view", household):
        errors["carrier"] = [_("This account has no role in the household's community.")]
    existing = CentralHousehold.objects.filter(household=household).first()
    if existing is not None and existing.is_active:
        errors["household"] = [_("This household is a central household already.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if existing is not None:
            central = existing
            central.member, central.area, central.capacity, central.carrier = member, area, capacity, carrier
            central.is_active = True
            central.save()
        else:
            central = CentralHousehold.objects.create(
                community_id=household.community_id,
                household=household,
                member=member,
                area=area,
                capacity=capacity,
                carrier=carrier,
            )
        # A central household is not served by another one.
        for pairing in Pairing.objects.filter(household=household, ended_at__isnull=True):
            _end(pairing, actor=actor, reason=_("became a central household"), request=request)
        if not household.is_central:
            people_services.household_update(
                actor=actor, household=household, number=household.number, is_central=True, request=request
            )
        record(
            Action.PAIRING_CENTRAL_DESIGNATED,
            actor=actor,
            obj=central,
            request=request,
            data={"household": household.pk, "area": area.pk, "capacity": capacity, "carrier": bool(carrier)},
        )
    return central


def central_update(
    *,
    actor: Any,
    central: CentralHousehold,
    capacity: int,
    area: OrgUnit,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> CentralHousehold:
    errors: dict[str, list[str]] = {}
    if not 1 <= int(capacity) <= MAX_CAPACITY:
        errors["capacity"] = [_("Capacity is between 1 and %(max)d households.") % {"max": MAX_CAPACITY}]
    if area.community_id != central.community_id or area.kind not in AREA_KINDS:
        errors["area"] = [_("Choose an area of the household's own community.")]
    serving = _open_count(central)
    if is_active and capacity < serving:
        errors["capacity"] = [
            _("It serves %(n)d households now: move some to another central household first.") % {"n": serving}
        ]
    if not is_active and serving:
        errors["is_active"] = [_("Move its households to another central household first.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = {"capacity": central.capacity, "area": central.area_id, "is_active": central.is_active}
        central.capacity, central.area, central.is_active = capacity, area, is_active
        central.save(update_fields=["capacity", "area", "is_active"])
        after = {"capacity": central.capacity, "area": central.area_id, "is_active": central.is_active}
        record(Action.PAIRING_CENTRAL_CHANGED, actor=actor, obj=central, request=request, data=diff(before, after))
    return central


# --- pairings ------------------------------------------------------------------------------


def _end(pairing: Pairing, *, actor: Any, reason: str, request: HttpRequest | None) -> None:
    pairing.ended_at = timezone.now()
    pairing.ended_by = actor if getattr(actor, "is_authenticated", False) else None
    pairing.end_reason = reason[:200]
    pairing.save(update_fields=["ended_at", "ended_by", "end_reason"])
    record(
        Action.PAIRING_ENDED,
        actor=actor,
        obj=pairing,
        request=request,
        data={"household": pairing.household_id, "central": pairing.central_id, "reason": pairing.end_reason},
    )


def _check_pair(household: Household, central: CentralHousehold) -> dict[str, list[str]]:
    if household.pk == central.household_id:
        return {"central": [_("A central household is not paired with itself.")]}
    if household.community_id != central.community_id:
        return {"central": [_("Choose a central household of the household's own community.")]}
    if household.status != Household.Status.ACTIVE:
        return {"household": [_("This household no longer lives here.")]}
    if not central.is_active:
        return {"central": [_("This central household is no longer active.")]}
    if CentralHousehold.objects.filter(household=household, is_active=True).exists():
        return {"household": [_("A central household is not paired with another one.")]}
    return {}


def pairing_set(
    *,
    actor: Any,
    household: Household,
    central: CentralHousehold,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Pairing:
    """Pair ``household`` with ``central`` (ending its current pairing, if any, with the same reason)."""
    errors = _check_pair(household, central)
    try:
        reason = _reason(reason, required=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The central household's row is the lock: two staff filling its last place cannot both succeed.
        locked = CentralHousehold.objects.select_for_update().get(pk=central.pk)
        current = Pairing.objects.select_for_update().filter(household=household, ended_at__isnull=True).first()
        if current is not None and current.central_id == central.pk:
            return current
        if _open_count(locked) >= locked.capacity:
            raise ValidationError(
                {
                    "central": [
                        _("This central household serves %(n)d households already, its capacity.")
                        % {"n": locked.capacity}
                    ]
                }
            )
        if current is not None:
            _end(current, actor=actor, reason=reason or _("paired with another central household"), request=request)
        pairing = Pairing.objects.create(
            community_id=household.community_id,
            household=household,
            central=locked,
            started_at=timezone.now(),
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            start_reason=reason,
        )
        record(
            Action.PAIRING_SET,
            actor=actor,
            obj=pairing,
            request=request,
            data={
                "household": household.pk,
                "central": central.pk,
                "from": current.central_id if current else None,
                "reason": reason,
            },
        )
    return pairing


def pairing_end(*, actor: Any, pairing: Pairing, reason: str, request: HttpRequest | None = None) -> Pairing:
    reason = _reason(reason)
    if pairing.ended_at is not None:
        raise ValidationError(_("This pairing has ended already."))
    with transaction.atomic():
        _end(pairing, actor=actor, reason=reason, request=request)
    return pairing


def suggestion_apply(
    *,
    actor: Any,
    area: OrgUnit,
    moves: Sequence[tuple[Household, CentralHousehold]],
    request: HttpRequest | None = None,
) -> list[Pairing]:
    """Apply the chosen lines of a suggestion, all of them or none (each checked as ``pairing_set``)."""
    if not moves:
        raise ValidationError(_("Choose at least one line of the suggestion."))
    reason = _("suggested assignment")
    made: list[Pairing] = []
    with transaction.atomic():
        for household, central in moves:
            if household.community_id != area.community_id:
                raise ValidationError({"central": [_("Choose a central household of the household's own community.")]})
            if Pairing.objects.filter(household=household, ended_at__isnull=True).exists():
                raise ValidationError(
                    _("%(household)s was paired meanwhile; compute the suggestion again.") % {"household": household}
                )
            made.append(pairing_set(actor=actor, household=household, central=central, reason=reason, request=request))
        record(
            Action.PAIRING_SUGGESTION_APPLIED,
            actor=actor,
            obj=area,
            community=area.community,
            request=request,
            data={"pairs": len(made)},
        )
    return made


def on_household_changed(*, household: Household, event: str, actor: Any) -> None:
    """The registry hook (``people.services.on_household_changed``): a household that moved out, died out or
    was merged (archived) ends its pairing; one that moved outside its central household's area too. A new
    household needs nothing: it is in the unpaired queue until it is paired."""
    if event in (people_services.HOUSEHOLD_EMPTIED, people_services.HOUSEHOLD_ARCHIVED):
        reason = (
            _("household moved out or died out")
            if event == people_services.HOUSEHOLD_EMPTIED
            else _("household archived in the registry")
        )
        for pairing in Pairing.objects.filter(household=household, ended_at__isnull=True):
            _end(pairing, actor=actor, reason=reason, request=None)
        for central in CentralHousehold.objects.filter(household=household, is_active=True):
            for pairing in Pairing.objects.filter(central=central, ended_at__isnull=True):
                _end(pairing, actor=actor, reason=_("the central household left"), request=None)
            central.is_active = False
            central.save(update_fields=["is_active"])
            record(Action.PAIRING_CENTRAL_CHANGED, actor=actor, obj=central, data={"is_active": [True, False]})
    elif event == people_services.HOUSEHOLD_MOVED:
        for pairing in Pairing.objects.select_related("central__area").filter(
            household=household, ended_at__isnull=True
        ):
            if not household.unit.is_within(pairing.central.area):
                _end(pairing, actor=actor, reason=_("household moved out of the area"), request=None)


# --- care levels and cadences --------------------------------------------------------------


def care_set(*, actor: Any, household: Household, level: str, reason: str, request: HttpRequest | None = None) -> Care:
    errors: dict[str, list[str]] = {}
    if level not in CareLevel.values:
        errors["level"] = [_("Choose a care level.")]
    try:
        reason = _reason(reason)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if household.status != Household.Status.ACTIVE:
        errors["household"] = [_("This household no longer lives here.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        care = Care.objects.select_for_update().filter(household=household).first()
        before = care.level if care else CareLevel.ORDINARY
        if care is None:
            care = Care(community_id=household.community_id, household=household)
        care.level, care.reason, care.set_at = level, reason, timezone.now()
        care.set_by = actor if getattr(actor, "is_authenticated", False) else None
        care.save()
        record(
            Action.PAIRING_CARE_SET,
            actor=actor,
            obj=household,
            request=request,
            data={"level": [str(before), level], "reason": reason},
        )
    return care


def cadence_set(
    *, actor: Any, community: OrgUnit, level: str, every: int, unit: str, request: HttpRequest | None = None
) -> None:
    from anju.pairing.models import Cadence

    errors: dict[str, list[str]] = {}
    if level not in CareLevel.values:
        errors["level"] = [_("Choose a care level.")]
    if unit not in CadenceUnit.values:
        errors["unit"] = [_("Choose weeks or months.")]
    if not 1 <= int(every) <= (52 if unit == CadenceUnit.WEEKS else 12):
        errors["every"] = [_("Between once a week and once a year.")]
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Cadence.objects.update_or_create(community=community, level=level, defaults={"every": every, "unit": unit})
        record(
            Action.PAIRING_CADENCE_SET,
            actor=actor,
            obj=community,
            community=community,
            request=request,
            data={"level": level, "every": every, "unit": unit},
        )


# --- visits --------------------------------------------------------------------------------


def _head(household: Household) -> Resident | None:
    members = list(household.members.filter(status=Resident.Status.ACTIVE).order_by("id"))
    heads = [m for m in members if m.relation == Relation.HEAD]
    first = heads or members
    return first[0] if first else None


def visit_record(
    *,
    actor: Any,
    household: Household,
    visited_on: dt.date,
    method: str,
    condition: str,
    client_key: str,
    met: str = "",
    needs: Iterable[str] = (),
    note: str = "",
    follow_up: str = "",
    category: Any = None,
    photos: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Visit:
    """Record one visit. ``follow_up`` "appeal" files an appeal on the household's behalf in the same step
    (linked both ways), "worker" leaves a follow-up for the community worker. The same ``client_key`` again
    (a double tap, a re-sent form) returns the first visit and writes nothing."""
    if not policy.can(actor, "pairing.visit", household):
        raise PermissionDenied
    client_key = (client_key or "").strip()[:64]
    existing = Visit.objects.filter(client_key=client_key).first() if client_key else None
    if existing is not None:
        if existing.recorded_by_id != getattr(actor, "pk", None):
            raise PermissionDenied
        return existing
    needs = sorted(set(needs))
    note = (note or "").strip()
    met = " ".join((met or "").split())
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not client_key:
        errors["client_key"] = [_("The form has expired; open it again.")]
    if method not in Visit.Method.values:
        errors["method"] = [_("Choose how you made contact.")]
    if condition not in Visit.Condition.values:
        errors["condition"] = [_("Choose how things are.")]
    if any(n not in Visit.Need.values for n in needs):
        errors["needs"] = [_("Choose needs from the list.")]
    if visited_on > today:
        errors["visited_on"] = [_("A visit cannot be in the future.")]
    elif visited_on < timezone.localtime(household.created_at).date():
        errors["visited_on"] = [_("The household was not registered yet on that day.")]
    if len(met) > 60:
        errors["met"] = [_("At most 60 characters.")]
    if len(note) > 2000:
        errors["note"] = [_("Keep it under 2000 characters.")]
    if household.status != Household.Status.ACTIVE:
        errors["household"] = [_("This household no longer lives here.")]
    if follow_up not in ("", Visit.FollowUp.APPEAL, Visit.FollowUp.WORKER):
        errors["follow_up"] = [_("Choose what happens next.")]
    if follow_up and not (needs or note):
        errors["note"] = [_("Describe the need to follow up.")]
    if follow_up == Visit.FollowUp.APPEAL and category is None:
        errors["category"] = [_("Choose a category for the appeal.")]
    if follow_up == Visit.FollowUp.APPEAL and _head(household) is None:
        errors["follow_up"] = [_("Nobody lives in this household to file an appeal for.")]
    if errors:
        raise ValidationError(errors)
    pairing = Pairing.objects.filter(household=household, ended_at__isnull=True).first()
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                community_id=household.community_id,
                household=household,
                central_id=pairing.central_id if pairing else None,
                visited_on=visited_on,
                method=method,
                met=met,
                condition=condition,
                needs=needs,
                note=screening.screen(note),  # typed numbers sealed, as in an appeal's description
                follow_up=follow_up,
                recorded_by=actor,
                client_key=client_key,
            )
            if follow_up == Visit.FollowUp.APPEAL:
                visit.appeal_id = _file_appeal(actor, household, visit, category, photos, request).pk
                visit.save(update_fields=["appeal_id"])
            elif follow_up == Visit.FollowUp.WORKER:
                notices.follow_up_requested(visit)
            record(
                Action.PAIRING_VISIT_RECORDED,
                actor=actor,
                obj=visit,
                request=request,
                data={
                    "household": household.pk,
                    "method": method,
                    "condition": condition,
                    "needs": needs,
                    "follow_up": follow_up,
                    "appeal": visit.appeal_id,
                },
            )
    except IntegrityError:
        # The same form sent twice at once: the other request recorded it.
        existing = Visit.objects.filter(client_key=client_key).first()
        if existing is None:
            raise
        return existing
    return visit


def _file_appeal(
    actor: Any, household: Household, visit: Visit, category: Any, photos: Sequence[Any], request: Any
) -> Any:
    from anju.appeals.intake import services as intake
    from anju.appeals.models import Channel

    description = screening.revealed(visit.note) or ", ".join(str(Visit.Need(n).label) for n in visit.needs)
    ref = _("Found on visit #%(n)d") % {"n": visit.pk}
    return intake.appeal_file(
        actor=actor,
        community=household.community,
        category=category,
        description=f"{description}\n\n{ref}",
        location=household.unit,
        address=str(household.address),
        channel=Channel.VISIT,
        requester_resident=_head(household),
        consent=True,
        photos=photos,
        request=request,
    )


def follow_up_done(*, actor: Any, visit: Visit, note: str = "", request: HttpRequest | None = None) -> Visit:
    if visit.follow_up != Visit.FollowUp.WORKER:
        raise ValidationError(_("This visit has no follow-up open."))
    note = _reason(note, "note", required=False)
    with transaction.atomic():
        visit.follow_up = Visit.FollowUp.DONE
        visit.save(update_fields=["follow_up"])
        record(Action.PAIRING_FOLLOW_UP_DONE, actor=actor, obj=visit, request=request, data={"note": note})
    return visit


# --- the weekly digest -----------------------------------------------------------------------


def digest_send(
    *, central: CentralHousehold, week: dt.date, due: int, hook: Callable[[str], None] | None = None
) -> bool:
    """Send this week's digest to ``central``'s carrier, once: the (central household, week) key is unique, so a
    second worker, a retry or a run after a crash finds the row and sends nothing. The row and the message
    commit together or not at all."""
    if central.carrier_id is None:
        return False
    try:
        with transaction.atomic():
            DigestSent.objects.create(community_id=central.community_id, central=central, week=week, due=due)
            if hook:
                hook("row")
            notices.weekly_digest(central, week=week, due=due, url=reverse("pairing:mine"))
            if hook:
                hook("sent")
            record(Action.PAIRING_DIGEST_SENT, obj=central, data={"week": week.isoformat(), "due": due})
            if hook:
                hook("commit")
    except IntegrityError:
        return False
    return True


def digests_send_due(*, today: dt.date | None = None, hook: Callable[[str], None] | None = None) -> int:
    """This week's digest for every active central household that has not had it (safe to run any time; each
    digest commits on its own, so a worker killed midway leaves the sent ones sent and the rest to the next run).
    ``hook(point)`` lets the tests crash it at each point."""
    from anju.pairing import plan, selectors

    today = today or timezone.localdate()
    week, _sunday = plan.week_of(today)
    sent = 0
    done = set(DigestSent.objects.filter(week=week).values_list("central_id", flat=True))
    for central in CentralHousehold.objects.filter(is_active=True, carrier__isnull=False).exclude(pk__in=done):
        if digest_send(central=central, week=week, due=selectors.due_count(central, today=today), hook=hook):
            sent += 1
    return sent


def coverage_exported(*, actor: Any, community: OrgUnit, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record(Action.PAIRING_COVERAGE_EXPORTED, actor=actor, obj=community, community=community, request=request)
