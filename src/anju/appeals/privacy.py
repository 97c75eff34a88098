"""What each reader may see of an appeal, and the services that widen it (DESIGN.md rule 3).

**Following (我也遇到) is not a way in.** A resident follows an appeal only when the system offered it to
them as similar while they were filing (:func:`offer_token`: a token signed for that user and that appeal,
valid for a day, posted with the "me too" button and checked by ``intake.appeal_follow``), or when
community staff linked them to it (:func:`follower_link`). A forged or foreign id answers 404 and writes
nothing.

**A follower sees the public view** (:func:`public_view`): category, status, the area (片区 or grid, never
the building, address or door), when it was received, the deadlines and the status steps of the timeline
without anyone's typed notes. Never the requester's description (their words may be about a neighbour),
photos, internal notes, the requester's callback or other followers' answers. Staff may decide otherwise
for one appeal (:func:`appeal_share`, audited): followers then also read the description (masked) and see
the photos.

**Residents never see other residents' identities** (:func:`who`): on the timeline a step taken by a
resident — the requester, a follower, or anyone without a staff, department or supervisory role — reads
"You" to that resident and "Another resident" to every other resident. Staff of the community, the
departments and supervisors see the names as before.

**Free text is screened** (``core.screening``): the description, the address, callback comments and typed
timeline notes are stored with their numbers sealed and shown masked; :func:`text_reveal` shows one of
them in full to whoever may reveal the requester's contact (``appeal.reveal``), after an ``audit.PiiAccess``
row with the purpose and reason (``audit.reasons.clean_reveal_reason``, as every reveal).

**What a community publishes** (:class:`~anju.appeals.models.Publication`, :func:`publication_set`):
nothing by default; or category and status, optionally the area and a screened summary. Open311 and
every public surface read only that (``appeals.open311``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.access import policy
from anju.access.roles import OFFICE_ROLES
from anju.appeals import clock, selectors
from anju.appeals.models import Appeal, AppealEvent, AppealFollower, Callback, Publication
from anju.appeals.policies import forget_follows
from anju.audit.actions import Action
from anju.audit.reasons import clean_reveal_reason
from anju.audit.services import diff, record, record_pii_access
from anju.core import screening
from anju.core.masking import mask_name
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit, UnitKind

OFFER_SALT = "anju.appeals.follow-offer"
OFFER_MAX_AGE = 24 * 3600
ANOTHER_RESIDENT = gettext_lazy("Another resident")
YOU = gettext_lazy("You")


# --- offers to follow -------------------------------------------------------------------------------


def offer_token(user: Any, appeal: Appeal) -> str:
    """A token saying "the system offered ``appeal`` to ``user`` as similar" (signed; a day long)."""
    return signing.dumps({"u": user.pk, "a": appeal.pk}, salt=OFFER_SALT, compress=True)


def offer_valid(user: Any, appeal: Appeal, token: str) -> bool:
    try:
        data = signing.loads(token or "", salt=OFFER_SALT, max_age=OFFER_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == user.pk and data.get("a") == appeal.pk


def follower_link(*, actor: Any, appeal: Appeal, user: Any, request: HttpRequest | None = None) -> AppealFollower:
    """Community staff link a resident to an appeal as a follower (they reported the same problem by
    phone, say). The resident gets the public view and is called back."""
    if not policy.can(actor, "appeal.triage", appeal):
        raise PermissionDenied
    if user is None or not policy.can(user, "appeal.file", appeal.community):
        raise ValidationError({"follower": [_("Choose a resident of this community.")]})
    with transaction.atomic():
        follower, created = AppealFollower.objects.get_or_create(
            appeal=appeal, user=user, defaults={"community_id": appeal.community_id}
        )
        forget_follows(appeal)
        if created:
            record(Action.APPEAL_FOLLOWER_LINKED, actor=actor, obj=appeal, request=request, data={"user": user.pk})
    return follower


# --- who reads what ---------------------------------------------------------------------------------


def is_insider(user: Any, appeal: Appeal) -> bool:
    """Staff of the community, a department on it, a supervisor above it, or a superuser."""
    return policy.can(user, "appeal.inside", appeal)


def is_own(user: Any, appeal: Appeal) -> bool:
    """The requester or whoever filed it."""
    uid = getattr(user, "pk", None)
    return uid is not None and uid in (appeal.requester_id, appeal.filed_by_id)


def public_view(user: Any, appeal: Appeal) -> bool:
    """Does ``user`` read this appeal only as the public would (a follower, unless staff shared it)?"""
    if is_own(user, appeal) or appeal.shared_with_followers:  # cheap checks first: no query
        return False
    return not is_insider(user, appeal)


def description_for(user: Any, appeal: Appeal) -> str:
    """The description as ``user`` may read it: masked, or empty in the public view."""
    return "" if public_view(user, appeal) else appeal.description_masked


def areas_of(appeals: Any) -> dict[int, OrgUnit | None]:
    """The area-level place of each appeal (its 片区, else its grid; never the building or the address),
    for many appeals in one query."""
    rows = list(appeals)
    paths: set[str] = set()
    for a in rows:
        paths.update([a.location.path, *a.location.ancestor_paths])
    units = {u.path: u for u in OrgUnit.objects.filter(path__in=paths, kind__in=[UnitKind.AREA, UnitKind.GRID])}
    found: dict[int, OrgUnit | None] = {}
    for a in rows:
        own = [a.location.path, *reversed(a.location.ancestor_paths)]  # deepest first: a grid before its area
        areas = [units[p] for p in own if p in units]
        # Prefer the 片区 (area) over the grid: the coarser of the two is what the public may see.
        found[a.pk] = next((u for u in areas if u.kind == UnitKind.AREA), areas[0] if areas else None)
    return found


def area_of(appeal: Appeal) -> OrgUnit | None:
    return areas_of([appeal])[appeal.pk]


def _acts_as_resident(actor_id: int | None, appeal: Appeal, cache: dict[int, bool]) -> bool:
    if actor_id is None:
        return False
    if actor_id not in cache:
        from anju.accounts.models import User

        user = User.objects.filter(pk=actor_id).first()
        cache[actor_id] = user is not None and not (policy.roles_of(user) & OFFICE_ROLES)
    return cache[actor_id]


@dataclass
class Step:
    """One timeline step as one reader sees it."""

    event: AppealEvent
    who: str
    note: str
    #: The family member who did the step for its actor (子女代办), as this reader may see them; or "".
    proxy: str = ""

    def __getattr__(self, name: str) -> Any:  # the template reads the event's own fields through the step
        return getattr(self.event, name)


def timeline_for(user: Any, appeal: Appeal, events: Any) -> list[Step]:
    """The timeline as ``user`` may read it: residents' names hidden from other residents, typed notes
    hidden in the public view, numbers in notes masked for everyone."""
    insider = is_insider(user, appeal)
    staff = policy.can(user, "appeal.triage", appeal)
    public = public_view(user, appeal)
    cache: dict[int, bool] = {}
    steps = []
    for e in events:
        who = e.actor_label if (e.actor_id or (e.actor_label and e.actor_label != "anju")) else ""
        if who and not insider and _acts_as_resident(e.actor_id, appeal, cache):
            who = str(YOU) if e.actor_id == getattr(user, "pk", None) else str(ANOTHER_RESIDENT)
        elif who and insider and not staff and _acts_as_resident(e.actor_id, appeal, cache):
            who = mask_name(who)  # departments and supervisors: a resident's name masked
        note = e.text if not public else _system_sentence(e)
        proxy = e.proxy_label
        if proxy and not staff:
            mine = e.actor_id is not None and e.actor_id == getattr(user, "pk", None)
            proxy = mask_name(proxy) if insider else (proxy if mine else "")
        steps.append(Step(event=e, who=who, note=note, proxy=proxy))
    return steps


def _system_sentence(event: AppealEvent) -> str:
    from anju.appeals import notes

    return notes.text(event.note_key, event.note_params, "") if event.note_key else ""


# --- sharing with followers, revealing screened text ----------------------------------------------------


def appeal_share(*, actor: Any, appeal: Appeal, shared: bool, request: HttpRequest | None = None) -> Appeal:
    """Staff let the followers read the description (masked) and see the photos, or stop it."""
    if not policy.can(actor, "appeal.triage", appeal):
        raise PermissionDenied
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.shared_with_followers != shared:
            locked.shared_with_followers = shared
            locked.save(update_fields=["shared_with_followers"])
            record(Action.APPEAL_SHARED, actor=actor, obj=locked, request=request, data={"shared": shared})
    appeal.shared_with_followers = shared
    return appeal


#: Screened texts of an appeal that may be revealed: ``description``, ``address``, ``event-<id>`` (a typed
#: timeline note) and ``callback-<id>`` (a callback comment).
TEXT_FIELDS = ("description", "address")


def _screened_text(appeal: Appeal, field: str) -> tuple[Any, str, str] | None:
    if field in TEXT_FIELDS:
        return appeal, field, getattr(appeal, field)
    kind, _sep, raw = field.partition("-")
    pk = parse_id(raw)
    if pk is None:
        return None
    if kind == "event":
        event = selectors.steps_of(appeal).filter(pk=pk).first()
        return (event, "note", event.note) if event else None
    if kind == "callback":
        callback = Callback.objects.filter(appeal=appeal, pk=pk).first()
        return (callback, "comment", callback.comment) if callback else None
    return None


def revealable(appeal: Appeal) -> list[str]:
    """Which of the appeal's own texts hold sealed numbers (for the reveal form)."""
    return [f for f in TEXT_FIELDS if screening.is_screened(getattr(appeal, f))]


def text_reveal(
    *, actor: Any, appeal: Appeal, field: str, purpose: str, reason: str, request: HttpRequest | None = None
) -> str:
    """One screened text of the appeal with its numbers in full, after the access-log row. The same roles
    as the requester's contact (``appeal.reveal``), the same reason rules as the registry's reveal."""
    if not policy.can(actor, "appeal.reveal", appeal):
        raise PermissionDenied
    why = clean_reveal_reason(purpose, reason)
    found = _screened_text(appeal, field)
    if found is None or not screening.is_screened(found[2]):
        raise ValidationError({"field": [_("There is no number to reveal in this text.")]})
    subject, column, stored = found
    with transaction.atomic():
        record_pii_access(
            actor=actor,
            subject=subject,
            field=column,
            reason=why,
            prefix="" if subject is appeal else f"{appeal.number}: ",
            community=appeal.community,
            request=request,
        )
    return screening.revealed(stored)


# --- what a community publishes ------------------------------------------------------------------------


def publication_for(community: Any) -> Publication:
    """The community's choice (an unsaved default when it never chose: nothing published)."""
    cid = getattr(community, "pk", community)
    return Publication.objects.filter(community_id=cid).first() or Publication(community_id=cid)


def publication_set(
    *,
    actor: Any,
    community: OrgUnit,
    level: str,
    area: bool = False,
    summary: bool = False,
    followers_counted: bool = False,
    request: HttpRequest | None = None,
) -> Publication:
    """Set what the community publishes of its appeals (and whether followers' answers count)."""
    if community is None or community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("Choose a community.")]})
    if not policy.can(actor, "appeal.publish", community):
        raise PermissionDenied
    if level not in Publication.Level.values:
        raise ValidationError({"level": [_("Choose what to publish.")]})
    off = level == Publication.Level.OFF
    with transaction.atomic():
        row, _created = Publication.objects.select_for_update().get_or_create(community=community)
        before = {"level": row.level, "area": row.area, "summary": row.summary, "followers": row.followers_counted}
        row.level = level
        row.area = bool(area) and not off
        row.summary = bool(summary) and not off
        row.followers_counted = bool(followers_counted)
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        after = {"level": row.level, "area": row.area, "summary": row.summary, "followers": row.followers_counted}
        record(
            Action.APPEAL_PUBLICATION_SET,
            actor=actor,
            obj=row,
            community=community,
            request=request,
            data={"changed": diff(before, after), "at": clock.now().isoformat()},
        )
    return row
