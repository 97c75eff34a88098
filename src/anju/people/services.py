"""Every state change of the registry: households, residents, tags, reveals, anonymisation."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from anju.audit.actions import Action
from anju.audit.reasons import clean_reveal_reason
from anju.audit.services import diff, record, record_pii_access
from anju.core import crypto
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import validation
from anju.people.models import (
    DEFAULT_TAGS,
    RELATION_WORDS,
    SENSITIVE_DEFAULT_TAGS,
    Address,
    Household,
    Relation,
    Resident,
    ResidentEvent,
    Tag,
)
from anju.people.validation import Invalid

MOBILE_PURPOSE = "people.mobile"
ID_PURPOSE = "people.id_number"
REVEALABLE = ("mobile", "id_number")
ANONYMISED_NAME = "已匿名"


# --- hooks for the apps above --------------------------------------------------------------


class HouseholdHook(Protocol):
    def __call__(self, *, household: Household, event: str, actor: Any) -> None: ...


#: What happened to a household, as the hooks hear it.
HOUSEHOLD_CREATED = "created"
HOUSEHOLD_MOVED = "moved"  # to another door of the community
HOUSEHOLD_EMPTIED = "emptied"  # its last living member moved out or died
HOUSEHOLD_ARCHIVED = "archived"  # archived (also after a merge into another household)

_household_hooks: list[HouseholdHook] = []


def on_household_changed(hook: HouseholdHook) -> None:
    """Run ``hook(household=…, event=…, actor=…)`` inside the transaction of every registry change of a
    household (the events above). Apps above the registry (pairing ends a pairing when a household moves
    out or dies out) register here from their ``AppConfig.ready()``; the registry never imports them."""
    if hook not in _household_hooks:
        _household_hooks.append(hook)


def household_changed(household: Household, event: str, actor: Any) -> None:
    """Tell the registered hooks (called by this module's services, inside their transaction)."""
    for hook in list(_household_hooks):
        hook(household=household, event=event, actor=actor)


def retention_days() -> int:
    return int(getattr(settings, "PEOPLE_RETENTION_DAYS", os.environ.get("ANJU_PEOPLE_RETENTION_DAYS", "1095")))


def mobile_index(mobile: str) -> str:
    return crypto.blind_index(mobile, purpose=MOBILE_PURPOSE)


def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number, purpose=ID_PURPOSE)


# --- checking a person's fields -----------------------------------------------------------


def clean_person(data: dict[str, Any], *, today: date | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise the personal fields in ``data`` (any of name, id_number, gender, birth_date,
    mobile, relation, is_party_member, party_branch); returns (cleaned, errors by field)."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def run(field: str, func: Any) -> None:
        if field not in data:
            return
        try:
            cleaned[field] = func(data[field])
        except Invalid as exc:
            errors[field] = str(exc)

    run("name", validation.clean_name)
    run("gender", validation.clean_gender)
    run("birth_date", lambda v: validation.clean_date(v, today=today))
    run("mobile", validation.parse_mobile)
    run("is_party_member", validation.clean_yes_no)
    if "relation" in data:
        relation = str(data["relation"] or "").strip()
        relation = RELATION_WORDS.get(relation, relation)
        if relation in Relation.values:
            cleaned["relation"] = relation
        else:
            errors["relation"] = _("Choose the relation to the head of household, such as 户主, 配偶 or 子女.")
    if "party_branch" in data:
        branch = str(data["party_branch"] or "").strip()
        if len(branch) > 60:
            errors["party_branch"] = _("At most 60 characters.")
        cleaned["party_branch"] = branch
    if "id_number" in data:
        try:
            number, born, gender = validation.clean_id_number(data["id_number"], today=today)
        except Invalid as exc:
            errors["id_number"] = str(exc)
        else:
            cleaned["id_number"] = number
            if "birth_date" not in errors:
                if cleaned.get("birth_date") is None:
                    cleaned["birth_date"] = born
                elif cleaned["birth_date"] != born:
                    errors["birth_date"] = _("The birth date does not match the one inside the ID number.")
            if "gender" not in errors:
                if not cleaned.get("gender"):
                    cleaned["gender"] = gender
                elif cleaned["gender"] != gender:
                    errors["gender"] = _("The gender does not match the ID number.")
    return cleaned, errors


def _seal(resident: Resident, cleaned: dict[str, Any]) -> None:
    if "name" in cleaned:
        resident.name = cleaned["name"]
        resident.name_pinyin, resident.name_initials = validation.name_keys(resident.name)
    if "mobile" in cleaned:
        mobile = cleaned["mobile"]
        resident.mobile_sealed = crypto.encrypt(mobile) if mobile else ""
        resident.mobile_index = mobile_index(mobile) if mobile else None
    if "id_number" in cleaned:
        resident.id_number_sealed = crypto.encrypt(cleaned["id_number"])
        resident.id_number_index = id_number_index(cleaned["id_number"])
    for field in ("gender", "birth_date", "relation", "is_party_member", "party_branch"):
        if field in cleaned:
            setattr(resident, field, cleaned[field])


def _check_tags(community: OrgUnit, tags: Iterable[Tag]) -> list[Tag]:
    tags = list(tags)
    if any(t.community_id != community.pk for t in tags):
        raise ValidationError({"tags": [_("Choose tags of this community.")]})
    return tags


# --- tags ----------------------------------------------------------------------------------


def tag_create(
    *,
    actor: Any,
    community: OrgUnit,
    name: str,
    sort_order: int = 0,
    sensitive: bool | None = None,
    request: HttpRequest | None = None,
) -> Tag:
    """A tag of the community; ``sensitive`` defaults to whether it is one of the sensitive default tags."""
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise ValidationError({"name": [_("Enter a tag of at most 20 characters.")]})
    if Tag.objects.filter(community=community, name=name).exists():
        raise ValidationError({"name": [_("This tag exists already.")]})
    with transaction.atomic():
        if sensitive is None:
            sensitive = name in SENSITIVE_DEFAULT_TAGS
        tag = Tag.objects.create(community=community, name=name, sort_order=sort_order, sensitive=sensitive)
        record(Action.TAG_CREATED, actor=actor, obj=tag, request=request, data={"name": name, "sensitive": sensitive})
    return tag


def tag_update(*, actor: Any, tag: Tag, name: str, is_active: bool, request: HttpRequest | None = None) -> Tag:
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise ValidationError({"name": [_("Enter a tag of at most 20 characters.")]})
    if Tag.objects.filter(community=tag.community, name=name).exclude(pk=tag.pk).exists():
        raise ValidationError({"name": [_("This tag exists already.")]})
    with transaction.atomic():
        before = {"name": tag.name, "is_active": tag.is_active}
        tag.name, tag.is_active = name, is_active
        tag.save(update_fields=["name", "is_active"])
        after = {"name": tag.name, "is_active": tag.is_active}
        record(Action.TAG_UPDATED, actor=actor, obj=tag, request=request, data={"changed": diff(before, after)})
    return tag


def tags_ensure_default(*, community: OrgUnit) -> list[Tag]:
    """Give a community the default tag list the first time it is needed."""
    if not Tag.objects.filter(community=community).exists():
        for order, name in enumerate(DEFAULT_TAGS):
            tag_create(actor=None, community=community, name=name, sort_order=order)
    return list(Tag.objects.filter(community=community))


# --- households ----------------------------------------------------------------------------


def _clean_address(unit: OrgUnit, entrance: str, door: str) -> tuple[str, str]:
    entrance = validation.normalise_short(entrance)
    door = validation.normalise_short(door)
    errors: dict[str, list[str]] = {}
    if unit.kind != UnitKind.BUILDING or unit.community_id is None:
        errors["unit"] = [_("Choose a building of the community.")]
    if not door:
        errors["door"] = [_("Enter the door number.")]
    elif len(door) > 20:
        errors["door"] = [_("At most 20 characters.")]
    if len(entrance) > 20:
        errors["entrance"] = [_("At most 20 characters.")]
    if errors:
        raise ValidationError(errors)
    return entrance, door


def address_get_or_create(*, unit: OrgUnit, entrance: str, door: str) -> Address:
    address, _created = Address.objects.get_or_create(
        unit=unit, entrance=entrance, door=door, defaults={"community_id": unit.community_id}
    )
    return address


def household_create(
    *,
    actor: Any,
    unit: OrgUnit,
    door: str,
    entrance: str = "",
    number: str = "",
    is_central: bool = False,
    request: HttpRequest | None = None,
) -> Household:
    entrance, door = _clean_address(unit, entrance, door)
    number = validation.normalise_short(number)
    if len(number) > 30:
        raise ValidationError({"number": [_("At most 30 characters.")]})
    community = unit.community
    assert community is not None  # noqa: S101  checked by _clean_address
    with transaction.atomic():
        tags_ensure_default(community=community)
        address = address_get_or_create(unit=unit, entrance=entrance, door=door)
        if Household.objects.filter(address=address, number=number, status=Household.Status.ACTIVE).exists():
            raise ValidationError(
                {"number": [_("A household with this number lives at this address already; give another number.")]}
            )
        household = Household.objects.create(
            community=community, address=address, unit=unit, number=number, is_central=is_central
        )
        record(
            Action.HOUSEHOLD_CREATED,
            actor=actor,
            obj=household,
            request=request,
            data={"unit": unit.pk, "is_central": is_central},
        )
        household_changed(household, HOUSEHOLD_CREATED, actor)
    return household


def household_update(
    *, actor: Any, household: Household, number: str, is_central: bool, request: HttpRequest | None = None
) -> Household:
    number = validation.normalise_short(number)
    if len(number) > 30:
        raise ValidationError({"number": [_("At most 30 characters.")]})
    clash = Household.objects.filter(address=household.address, number=number, status=Household.Status.ACTIVE)
    if clash.exclude(pk=household.pk).exists():
        raise ValidationError({"number": [_("Another household at this address has this number.")]})
    with transaction.atomic():
        before = {"number": household.number, "is_central": household.is_central}
        household.number, household.is_central = number, is_central
        household.save(update_fields=["number", "is_central", "updated_at"])
        after = {"number": household.number, "is_central": household.is_central}
        data = {"changed": diff(before, after)}
        record(Action.HOUSEHOLD_UPDATED, actor=actor, obj=household, request=request, data=data)
    return household


def household_move(
    *,
    actor: Any,
    household: Household,
    unit: OrgUnit,
    door: str,
    entrance: str = "",
    on_date: date | None = None,
    request: HttpRequest | None = None,
) -> Household:
    """The household moves to another door of the same community; members follow."""
    entrance, door = _clean_address(unit, entrance, door)
    if unit.community_id != household.community_id:
        raise ValidationError({"unit": [_("A household moves within its community; register it anew elsewhere.")]})
    if household.status != Household.Status.ACTIVE:
        raise ValidationError(_("An archived household cannot move."))
    on_date = on_date or timezone.localdate()
    with transaction.atomic():
        old = household.address
        address = address_get_or_create(unit=unit, entrance=entrance, door=door)
        if address.pk == old.pk:
            return household
        household.address, household.unit = address, unit
        household.save(update_fields=["address", "unit", "updated_at"])
        members = list(household.members.filter(status=Resident.Status.ACTIVE))
        Resident.objects.filter(pk__in=[m.pk for m in members]).update(unit=unit, updated_at=timezone.now())
        ResidentEvent.objects.bulk_create(
            ResidentEvent(
                community_id=household.community_id,
                resident=m,
                kind=ResidentEvent.Kind.HOUSEHOLD_MOVED,
                on_date=on_date,
                note=f"{old} → {address}"[:200],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
            for m in members
        )
        record(
            Action.HOUSEHOLD_MOVED,
            actor=actor,
            obj=household,
            request=request,
            data={"from": old.pk, "to": address.pk, "members": len(members)},
        )
        household_changed(household, HOUSEHOLD_MOVED, actor)
    return household


def household_archive(*, actor: Any, household: Household, request: HttpRequest | None = None) -> Household:
    if household.members.filter(status=Resident.Status.ACTIVE).exists():
        raise ValidationError(_("Archive or move every member of the household first."))
    if household.status == Household.Status.ARCHIVED:
        return household
    with transaction.atomic():
        household.status, household.archived_at = Household.Status.ARCHIVED, timezone.now()
        household.save(update_fields=["status", "archived_at", "updated_at"])
        record(Action.HOUSEHOLD_ARCHIVED, actor=actor, obj=household, request=request)
        household_changed(household, HOUSEHOLD_ARCHIVED, actor)
    return household


# --- residents -----------------------------------------------------------------------------


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _head_taken(household: Household, exclude: Resident | None = None) -> bool:
    qs = household.members.filter(status=Resident.Status.ACTIVE, relation=Relation.HEAD)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def _duplicate_id(index: str, exclude: Resident | None = None) -> bool:
    qs = Resident.objects.filter(status=Resident.Status.ACTIVE, id_number_index=index)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


DUPLICATE_ID = gettext_noop("A living resident with this ID number is registered already.")


def resident_create(
    *,
    actor: Any,
    household: Household,
    name: str,
    id_number: str,
    relation: str,
    gender: str = "",
    birth_date: date | str | None = None,
    mobile: str = "",
    tags: Iterable[Tag] = (),
    is_party_member: bool = False,
    party_branch: str = "",
    request: HttpRequest | None = None,
) -> Resident:
    cleaned, errors = clean_person(
        {
            "name": name,
            "id_number": id_number,
            "relation": relation,
            "gender": gender,
            "birth_date": birth_date,
            "mobile": mobile,
            "is_party_member": is_party_member,
            "party_branch": party_branch,
        }
    )
    if household.status != Household.Status.ACTIVE:
        errors["household"] = _("The household is archived.")
    if "id_number" in cleaned and _duplicate_id(id_number_index(cleaned["id_number"])):
        errors["id_number"] = _(DUPLICATE_ID)
    if cleaned.get("relation") == Relation.HEAD and _head_taken(household):
        errors["relation"] = _("The household has a head already.")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    tag_list = _check_tags(household.community, tags)
    resident = Resident(community_id=household.community_id, household=household, unit_id=household.unit_id)
    _seal(resident, cleaned)
    with transaction.atomic():
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError as exc:
            raise ValidationError({"id_number": [_(DUPLICATE_ID)]}) from exc
        resident.tags.set(tag_list)
        ResidentEvent.objects.create(
            community_id=resident.community_id,
            resident=resident,
            kind=ResidentEvent.Kind.REGISTERED,
            on_date=timezone.localdate(),
            actor=_actor_or_none(actor),
        )
        record(
            Action.RESIDENT_CREATED,
            actor=actor,
            obj=resident,
            request=request,
            data={"household": household.pk, "tags": [t.name for t in tag_list]},
        )
    return resident


def resident_register(
    *,
    actor: Any,
    unit: OrgUnit,
    door: str,
    entrance: str = "",
    number: str = "",
    request: HttpRequest | None = None,
    **person: Any,
) -> Resident:
    """新增居民 from the residents page: the resident joins the active household at that address (and
    household number), which is registered first when there is none. One transaction: a refused resident
    leaves no new household behind. ``person`` takes :func:`resident_create`'s fields."""
    entrance, door = _clean_address(unit, entrance, door)
    number = validation.normalise_short(number)
    with transaction.atomic():
        household = (
            Household.objects.filter(
                address__unit=unit,
                address__entrance=entrance,
                address__door=door,
                number=number,
                status=Household.Status.ACTIVE,
            )
            .select_related("address__unit")
            .first()
        )
        if household is None:
            household = household_create(
                actor=actor, unit=unit, entrance=entrance, door=door, number=number, request=request
            )
        return resident_create(actor=actor, household=household, request=request, **person)


UPDATABLE = ("name", "id_number", "relation", "gender", "birth_date", "mobile", "is_party_member", "party_branch")


def resident_update(
    *,
    actor: Any,
    resident: Resident,
    changes: dict[str, Any],
    tags: Iterable[Tag] | None = None,
    household: Household | None = None,
    request: HttpRequest | None = None,
) -> Resident:
    """Change some fields (keys of ``changes`` among :data:`UPDATABLE`); history keeps which."""
    if not resident.is_active:
        raise ValidationError(_("An archived resident cannot be changed."))
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    # The ID number and the birth date/gender are checked together.
    data = dict(changes)
    if "id_number" not in data and ("birth_date" in data or "gender" in data):
        data["id_number"] = resident.id_number
        data.setdefault("birth_date", resident.birth_date)
        data.setdefault("gender", resident.gender)
    elif "id_number" in data:
        data.setdefault("birth_date", resident.birth_date)
        data.setdefault("gender", resident.gender)
    cleaned, errors = clean_person(data)
    current = {
        "name": resident.name,
        "id_number": resident.id_number,
        "relation": resident.relation,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "mobile": resident.mobile,
        "is_party_member": resident.is_party_member,
        "party_branch": resident.party_branch,
    }
    changed = sorted(k for k, v in cleaned.items() if current.get(k) != v)
    target = household or resident.household
    if household is not None and household.pk != resident.household_id:
        if household.community_id != resident.community_id or household.status != Household.Status.ACTIVE:
            errors["household"] = _("Choose an active household of the same community.")
        changed.append("household")
    if "id_number" in changed and _duplicate_id(id_number_index(cleaned["id_number"]), exclude=resident):
        errors["id_number"] = _(DUPLICATE_ID)
    relation = cleaned.get("relation", resident.relation)
    head_changed = relation == Relation.HEAD and ("relation" in changed or "household" in changed)
    if head_changed and _head_taken(target, exclude=resident):
        errors["relation"] = _("The household has a head already.")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    tag_list = _check_tags(resident.community, tags) if tags is not None else None
    if tag_list is not None and {t.pk for t in tag_list} != set(resident.tags.values_list("pk", flat=True)):
        changed.append("tags")
    if not changed:
        return resident
    with transaction.atomic():
        _seal(resident, {k: cleaned[k] for k in changed if k in cleaned})
        if "household" in changed:
            resident.household, resident.unit_id = target, target.unit_id
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError as exc:
            raise ValidationError({"id_number": [_(DUPLICATE_ID)]}) from exc
        if tag_list is not None:
            resident.tags.set(tag_list)
        ResidentEvent.objects.create(
            community_id=resident.community_id,
            resident=resident,
            kind=ResidentEvent.Kind.UPDATED,
            on_date=timezone.localdate(),
            fields=changed,
            actor=_actor_or_none(actor),
        )
        record(Action.RESIDENT_UPDATED, actor=actor, obj=resident, request=request, data={"fields": changed})
    return resident


ARCHIVE_REASONS: dict[str, str] = {
    Resident.Status.MOVED_OUT: ResidentEvent.Kind.MOVED_OUT,
    Resident.Status.DECEASED: ResidentEvent.Kind.DECEASED,
}


def resident_archive(
    *,
    actor: Any,
    resident: Resident,
    reason: str,
    on_date: date | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Resident:
    """Moving out or death: the resident is archived, never deleted; the history keeps it."""
    if reason not in ARCHIVE_REASONS:
        raise ValidationError({"reason": [_("Choose moved out or died.")]})
    if not resident.is_active:
        raise ValidationError(_("This resident is archived already."))
    on_date = on_date or timezone.localdate()
    if on_date > timezone.localdate():
        raise ValidationError({"on_date": [_("The date cannot be in the future.")]})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": [_("At most 200 characters.")]})
    with transaction.atomic():
        resident.status, resident.status_date, resident.archived_at = reason, on_date, timezone.now()
        resident.save(update_fields=["status", "status_date", "archived_at", "updated_at"])
        ResidentEvent.objects.create(
            community_id=resident.community_id,
            resident=resident,
            kind=ARCHIVE_REASONS[reason],
            on_date=on_date,
            note=note,
            actor=_actor_or_none(actor),
        )
        record(Action.RESIDENT_ARCHIVED, actor=actor, obj=resident, request=request, data={"reason": reason})
        if not resident.household.members.filter(status=Resident.Status.ACTIVE).exists():
            household_changed(resident.household, HOUSEHOLD_EMPTIED, actor)
    return resident


def resident_reveal(
    *, actor: Any, resident: Resident, field: str, purpose: str, reason: str, request: HttpRequest | None = None
) -> str:
    """The full value of one personal field, after writing the access-log row (purpose and reason checked
    by ``audit.reasons.clean_reveal_reason``, as for every reveal)."""
    errors: dict[str, list[str]] = {}
    if field not in REVEALABLE:
        errors["field"] = [_("Only a mobile or an ID number can be revealed.")]
    try:
        why = clean_reveal_reason(purpose, reason)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    value = resident.mobile if field == "mobile" else resident.id_number
    with transaction.atomic():
        record_pii_access(actor=actor, subject=resident, field=field, reason=why, request=request)
    return value


# --- anonymisation -------------------------------------------------------------------------


def residents_anonymise_due(*, now: Any = None, days: int | None = None) -> int:
    """Anonymise residents archived longer than the retention period. Idempotent.

    Kept for statistics: status and its date, gender, birth *year* (the date becomes
    1 January), tags, party membership, household and building. Removed: name, pinyin,
    mobile and ID number (sealed values and keyed hashes), party branch, history notes.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days() if days is None else days)
    due = Resident.objects.filter(archived_at__lte=cutoff, anonymised_at__isnull=True).exclude(
        status=Resident.Status.ACTIVE
    )
    count = 0
    for resident in due.iterator(chunk_size=200):
        with transaction.atomic():
            resident.name, resident.name_pinyin, resident.name_initials = ANONYMISED_NAME, "", ""
            resident.mobile_sealed, resident.mobile_index = "", None
            resident.id_number_sealed, resident.id_number_index = "", None
            resident.party_branch = ""
            if resident.birth_date:
                resident.birth_date = resident.birth_date.replace(month=1, day=1)
            resident.anonymised_at = now
            resident.save()
            resident.events.exclude(note="").update(note="")
            ResidentEvent.objects.create(
                community_id=resident.community_id,
                resident=resident,
                kind=ResidentEvent.Kind.ANONYMISED,
                on_date=timezone.localdate(now),
            )
            record(Action.RESIDENT_ANONYMISED, obj=resident, actor_label="anju worker")
        count += 1
    return count
