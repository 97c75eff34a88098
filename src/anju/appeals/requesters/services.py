"""The requester of an appeal: who they are in the registry, how to reach them, and who may see their number.

**The registry link.** ``Appeal.requester_resident`` ties an appeal to the requester's ``people.Resident``:

* a signed-in resident filing for themself is linked to their registry entry
  (``people.selectors.resident_for_user``: the account's mobile number, by keyed hash), when that entry
  lives in the appeal's community;
* a volunteer or worker filing on someone's behalf picks the resident from the registry (searched by name
  or pinyin within their people-view scope, shown as the people pages show it: masked for volunteers), or
  enters a name and contact number as before;
* community staff (``appeal.link_requester``) link an appeal already filed to a resident of its community
  they may see in the registry — an anonymous requester the worker recognises, say — or unlink it
  (:func:`requester_link`, :func:`requester_unlink`). The contact given with the appeal stays as it was.

**Who may reveal the contact number** (DESIGN.md rule 3: masked unless the role needs it; a reveal writes
an ``audit.PiiAccess`` row with a reason; the predicate is ``appeals.policies.may_reveal_contact``, the object
check of ``appeal.reveal``):

* community workers and party-branch secretaries of the appeal's community (the same roles that may reveal
  a number in the registry, ``people.reveal``): they run the callback, and the callback of an anonymous
  requester is only possible by phone;
* the liaison of the *lead* department, and only while that department holds the appeal (signed for, in
  progress or waiting). The department must contact the requester — the response rate counts appeals
  "signed and requester contacted within the deadline" — so it has a need, but only from the moment it has
  accepted the appeal until it submits its handling feedback; before signing the appeal may still be
  referred back, and afterwards the community does the verification and the callback. Assisting departments
  work through the lead and do not get the number (minimum necessary);
* nobody else: grid workers, volunteers, supervisors, residents (followers included) and other
  communities' staff answer 404, as for an appeal out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import clock, notes
from anju.appeals.models import ON_BEHALF_CHANNELS, Appeal, AppealEvent, Channel
from anju.audit.actions import Action
from anju.audit.reasons import clean_reveal_reason
from anju.audit.services import diff, record, record_pii_access
from anju.core.crypto import decrypt
from anju.core.masking import mask_mobile, mask_name
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit
from anju.people.models import Resident

PICK_LIMIT = 10


# --- the contact, masked and revealed -------------------------------------------------------------


@dataclass
class _Source:
    value: str
    subject: models.Model
    field: str


def _mobile_source(appeal: Appeal) -> _Source | None:
    """Where the number to call back comes from: the contact given with the appeal, else the linked
    registry entry, else the requester's account."""
    if appeal.contact_mobile_sealed:
        return _Source(decrypt(appeal.contact_mobile_sealed), appeal, "contact_mobile")
    resident = appeal.requester_resident if appeal.requester_resident_id else None
    if resident is not None and resident.is_active and resident.mobile:  # as the registry: no archived numbers
        return _Source(resident.mobile, resident, "mobile")
    if appeal.requester_id and appeal.requester is not None and appeal.requester.mobile:
        return _Source(appeal.requester.mobile, appeal, "requester_mobile")
    return None


def contact_masked(appeal: Appeal) -> dict[str, Any]:
    """The requester's name and number as every page shows them: masked."""
    name = decrypt(appeal.contact_name_sealed) if appeal.contact_name_sealed else ""
    if not name and appeal.requester_resident_id and appeal.requester_resident is not None:
        name = appeal.requester_resident.name
    if not name and appeal.requester_id:
        name = str(appeal.requester)
    source = _mobile_source(appeal)
    return {
        "name": mask_name(name),
        "mobile": mask_mobile(source.value) if source else "",
        "has_mobile": source is not None,
    }


def contact_reveal(*, actor: Any, appeal: Appeal, purpose: str, reason: str, request: HttpRequest | None = None) -> str:
    """The full contact number of the requester, after writing the access-log row (``audit.PiiAccess``);
    the purpose and reason are checked as for every reveal (``audit.reasons``)."""
    if not policy.can(actor, "appeal.reveal", appeal):
        raise PermissionDenied
    why = clean_reveal_reason(purpose, reason)
    source = _mobile_source(appeal)
    if source is None:
        raise ValidationError({"reason": [_("This appeal has no contact number to reveal.")]})
    with transaction.atomic():
        record_pii_access(
            actor=actor,
            subject=source.subject,
            field=source.field,
            reason=why,
            prefix="" if source.subject is appeal else f"{appeal.number}: ",
            community=appeal.community,
            request=request,
        )
    return source.value


# --- the registry link ----------------------------------------------------------------------------


def pickable_residents(user: Any, community: OrgUnit | None = None) -> QuerySet[Resident]:
    """Active residents the user may see in the registry (``people.view``), of one community if given."""
    from anju.people.selectors import residents_visible

    qs = residents_visible(user).filter(status=Resident.Status.ACTIVE, archived_at__isnull=True)
    if community is not None:
        qs = qs.filter(community=community)
    return qs


def resident_choices(user: Any, q: str, *, limit: int = PICK_LIMIT) -> list[dict[str, Any]]:
    """Search the registry by name, pinyin or initials (or an exact mobile) within the user's scope, shown
    as the people pages show them to this user (names masked unless the role sees names)."""
    from anju.people.selectors import ResidentFilter, Viewer, resident_search

    if not policy.can(user, "people.view") or len(q.strip()) < 1:
        return []
    viewer = Viewer(user)
    found = resident_search(user, ResidentFilter(q=q)).filter(archived_at__isnull=True)[:limit]
    return [resident_choice(user, r, viewer=viewer) for r in found]


def resident_choice(user: Any, resident: Resident, *, viewer: Any = None) -> dict[str, Any]:
    """One resident as the picker shows it: the name as the user may see it, the number masked."""
    from anju.people.selectors import Viewer

    viewer = viewer or Viewer(user)
    return {
        "id": resident.pk,
        "name": viewer.name(resident),
        "mobile": mask_mobile(resident.mobile),
        "building": resident.unit.name,
        "community_id": resident.community_id,
    }


def resident_pick(user: Any, raw: Any) -> Resident | None:
    """The resident a worker or volunteer picked (an id from the form or the API); ``None`` when none was
    picked. An id out of the user's reach is an error, not a silent ``None``."""
    text = str(raw or "").strip()
    if not text:
        return None
    pk = parse_id(text)
    resident = pickable_residents(user).filter(pk=pk).first() if pk is not None else None
    if resident is None:
        raise ValidationError({"requester_resident": [_("Choose a resident of this community from the registry.")]})
    return resident


def check_pick(
    *, actor: Any, community: OrgUnit, channel: str, resident: Resident | None, mobile: str
) -> dict[str, list[str]]:
    """Errors of a picked resident: filed on someone's behalf, by someone who may see them, in this
    community, and reachable (a number in the registry or one given now)."""
    if resident is None:
        return {}
    if channel not in ON_BEHALF_CHANNELS:
        return {"requester_resident": [_("Pick a resident only when filing on someone's behalf.")]}
    if (
        actor is None
        or resident.community_id != community.pk
        or not resident.is_active
        or not policy.can(actor, "people.view", resident)
    ):
        return {"requester_resident": [_("Choose a resident of this community from the registry.")]}
    if not resident.mobile and not mobile:
        return {
            "contact_mobile": [_("This resident has no mobile number in the registry; enter one for the callback.")]
        }
    return {}


def resident_to_link(*, requester: Any, community: OrgUnit, channel: str, picked: Resident | None) -> Resident | None:
    """The registry entry to link: the one picked on someone's behalf, else the signed-in requester's own."""
    if picked is not None:
        return picked
    if requester is None or channel in ON_BEHALF_CHANNELS or channel == Channel.ANONYMOUS:
        return None
    from anju.people.selectors import resident_for_user

    own = resident_for_user(requester)
    return own if own is not None and own.community_id == community.pk else None


def registry_link(user: Any, appeal: Appeal) -> dict[str, Any] | None:
    """The link to the requester's registry page, for those who may view people there."""
    resident = appeal.requester_resident if appeal.requester_resident_id else None
    if resident is None or not policy.can(user, "people.view", resident):
        return None
    from django.urls import reverse

    from anju.people.selectors import Viewer

    return {"url": reverse("people:resident", args=[resident.pk]), "name": Viewer(user).name(resident)}


def _relink(
    *,
    actor: Any,
    appeal: Appeal,
    resident: Resident | None,
    note_key: str,
    action: Action,
    request: HttpRequest | None,
) -> Appeal:
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        previous = locked.requester_resident_id
        locked.requester_resident = resident
        locked.save(update_fields=["requester_resident"])
        AppealEvent.objects.create(
            community_id=locked.community_id,
            appeal=locked,
            action="requester",
            from_status=locked.status,
            to_status=locked.status,
            actor=actor,
            actor_label=str(actor)[:100],
            note_key=note_key,
            public=False,
            at=clock.now(),
        )
        record(
            action,
            actor=actor,
            obj=locked,
            request=request,
            data={"changed": diff({"resident": previous}, {"resident": resident.pk if resident else None})},
        )
    appeal.requester_resident = resident
    return appeal


def requester_link(
    *, actor: Any, appeal: Appeal, resident: Resident | None, request: HttpRequest | None = None
) -> Appeal:
    """Link a filed appeal to a registry resident of its community (e.g. an anonymous requester the worker
    recognises), replacing any earlier link. Staff of the appeal's community who may see the resident."""
    if not policy.can(actor, "appeal.link_requester", appeal):
        raise PermissionDenied
    if (
        resident is None
        or resident.community_id != appeal.community_id
        or not resident.is_active
        or resident.archived_at is not None
        or not policy.can(actor, "people.view", resident)
    ):
        raise ValidationError({"requester_resident": [_("Choose a resident of this community from the registry.")]})
    if appeal.requester_resident_id == resident.pk:
        raise ValidationError({"requester_resident": [_("The appeal is already linked to this resident.")]})
    return _relink(
        actor=actor,
        appeal=appeal,
        resident=resident,
        note_key=notes.REQUESTER_LINKED,
        action=Action.APPEAL_REQUESTER_LINKED,
        request=request,
    )


def requester_unlink(*, actor: Any, appeal: Appeal, request: HttpRequest | None = None) -> Appeal:
    """Remove the appeal's link to a registry resident (a wrong match); the contact given with it stays."""
    if not policy.can(actor, "appeal.link_requester", appeal):
        raise PermissionDenied
    if appeal.requester_resident_id is None:
        raise ValidationError({"requester_resident": [_("The appeal is not linked to a registry resident.")]})
    return _relink(
        actor=actor,
        appeal=appeal,
        resident=None,
        note_key=notes.REQUESTER_UNLINKED,
        action=Action.APPEAL_REQUESTER_UNLINKED,
        request=request,
    )
