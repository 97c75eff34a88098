"""Every state change of mediation: keyword-only services, one transaction and one audit row each.

The state machine of a case::

    open ──agreement──▶ agreed ──all follow-ups kept──▶ closed
      │                   │
      │                   └──a follow-up finds it broken──▶ reopen ──▶ open
      ├──no agreement──▶ no_agreement (closed, with the reason)
      └──refer on──────▶ referred (司法所 / 派出所 / court, with where and why; never reopened here)

Each service validates first (a clear error in the user's language, nothing written). The audit rows, the
inbox and the room's booking name a case by its number only: never a party, the account or a note.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import referrals as appeal_referrals
from anju.appeals.models import Appeal
from anju.audit.actions import Action
from anju.audit.reasons import Purpose, RevealReason
from anju.audit.services import record, record_pii_access
from anju.core import screening
from anju.mediation import notices
from anju.mediation.models import (
    Case,
    FollowUp,
    Kind,
    Mediator,
    Party,
    ReferredTo,
    Session,
    Source,
    Status,
    Undertaking,
    Urgency,
)
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing.models import Visit
from anju.people.models import Resident
from anju.spaces import services as space_services
from anju.spaces.models import Booking, Space

ACCOUNT_MAX = 2000
TEXT_MAX = 2000
#: The follow-ups an agreement schedules by default (回访): a week and a month after it.
FOLLOW_UP_DAYS = (7, 30)
DECIDED = (Status.AGREED, Status.NO_AGREEMENT, Status.REFERRED, Status.CLOSED)


@dataclass(frozen=True)
class PartyIn:
    role: str
    name: str = ""
    resident: Resident | None = None


@dataclass(frozen=True)
class UndertakingIn:
    party: Party
    text: str
    due_on: dt.date


def _text(value: str, field: str, errors: dict[str, list[str]], *, required: bool, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(value) > limit:
        errors.setdefault(field, []).append(_("At most %(n)d characters.") % {"n": limit})
    return value


def _is_eligible(user: Any, community: OrgUnit) -> bool:
    from anju.access.roles import STAFF_ROLES, Role
    from anju.accounts.models import RoleGrant

    return (
        getattr(user, "is_active", False)
        and RoleGrant.objects.filter(
            OrgUnit.subtree_q(community, "unit__"),
            user=user,
            role__in=[*STAFF_ROLES, Role.VOLUNTEER],
            unit__is_active=True,
        ).exists()
    )


def _check_mediators(
    community: OrgUnit, lead: Any, co_mediators: Sequence[Any], errors: dict[str, list[str]]
) -> list[Any]:
    if lead is None:
        errors.setdefault("lead", []).append(_("Choose the lead mediator."))
        return []
    if not _is_eligible(lead, community):
        errors.setdefault("lead", []).append(_("The lead mediator must serve in the case's community."))
    co = [u for u in dict.fromkeys(co_mediators) if u is not None and u.pk != lead.pk]
    for user in co:
        if not _is_eligible(user, community):
            errors.setdefault("co_mediators", []).append(_("Every mediator must serve in the case's community."))
            break
    return [lead, *co]


def _party_conflicts(
    parties: Iterable[PartyIn | Party], mediators: Sequence[Any], errors: dict[str, list[str]]
) -> None:
    """A mediator is never a party of the case (the People's Mediation Law: a mediator with an interest withdraws)."""
    mediator_ids = {m.pk for m in mediators}
    mediator_names = {(getattr(m, "display_name", "") or "").strip() for m in mediators} - {""}
    for party in parties:
        resident = party.resident
        if resident is not None and resident.account_id in mediator_ids:
            errors.setdefault("parties", []).append(_("A party of the case cannot be one of its mediators."))
            return
        if party.name.strip() in mediator_names:
            errors.setdefault("parties", []).append(_("A party of the case cannot be one of its mediators."))
            return


def _check_parties(community: OrgUnit, parties: Sequence[PartyIn], errors: dict[str, list[str]]) -> list[PartyIn]:
    clean: list[PartyIn] = []
    for party in parties:
        name = (party.name or "").strip()
        resident = party.resident
        if resident is not None:
            if resident.community_id != community.pk:
                errors.setdefault("parties", []).append(_("A resident party must live in the case's community."))
                continue
            name = name or resident.name
        if not name and resident is None:
            continue
        if party.role not in Party.Role.values:
            errors.setdefault("parties", []).append(_("Choose each party's role."))
            continue
        if len(name) > 50:
            errors.setdefault("parties", []).append(_("A name has at most 50 characters."))
            continue
        clean.append(PartyIn(role=party.role, name=name, resident=resident))
    roles = {p.role for p in clean}
    if Party.Role.APPLICANT not in roles or Party.Role.RESPONDENT not in roles:
        errors.setdefault("parties", []).append(_("A case needs at least one applicant and one respondent."))
    return clean


def _mediator_rows(case: Case, users: Sequence[Any]) -> None:
    Mediator.objects.bulk_create(
        Mediator(community_id=case.community_id, case=case, user=u, is_lead=(n == 0)) for n, u in enumerate(users)
    )
    case._mediator_ids = {u.pk for u in users}  # type: ignore[attr-defined]  # policies.is_mediator's cache


def case_open(
    *,
    actor: Any,
    community: OrgUnit,
    kind: str,
    account: str,
    parties: Sequence[PartyIn],
    lead: Any,
    co_mediators: Sequence[Any] = (),
    urgency: str = Urgency.NORMAL,
    violence_risk: bool = False,
    appeal: Appeal | None = None,
    visit_ref: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Open a case at the desk, from an appeal (the appeal then shows the referral: the number and status
    only) or from a visit. A risk of violence alerts the secretary and the police liaison at once."""
    errors: dict[str, list[str]] = {}
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    elif not policy.can(actor, "mediation.open", community):
        errors["community"] = [_("You may not open a case in this community.")]
    if kind not in Kind.values:
        errors["kind"] = [_("Choose the kind of dispute.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose the urgency.")]
    account = _text(account, "account", errors, required=True, limit=ACCOUNT_MAX)
    clean = _check_parties(community, parties, errors)
    users = _check_mediators(community, lead, co_mediators, errors)
    _party_conflicts(clean, users, errors)
    source = Source.DESK
    if appeal is not None:
        source = Source.APPEAL
        if appeal.community_id != community.pk or not policy.can(actor, "appeal.triage", appeal):
            errors["appeal"] = [_("Choose an appeal of this community that you handle.")]
        elif Case.objects.filter(appeal=appeal).exclude(status=Status.REFERRED).exists():
            errors["appeal"] = [_("This appeal has been referred to mediation already.")]
    elif visit_ref is not None:
        source = Source.VISIT
        if not Visit.objects.filter(pk=visit_ref, community_id=community.pk).exists():
            errors["visit"] = [_("Choose a visit to a household of this community.")]
        elif (
            Case.objects.filter(visit_ref=visit_ref, community_id=community.pk).exclude(status=Status.REFERRED).exists()
        ):
            errors["visit"] = [_("A mediation case has been opened from this visit already.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            community=community,
            number=f"tmp-{uuid.uuid4().hex[:12]}",
            kind=kind,
            source=source,
            urgency=Urgency.URGENT if violence_risk else urgency,
            violence_risk=violence_risk,
            account=screening.screen(account),
            appeal=appeal,
            visit_ref=visit_ref,
            opened_by=actor if getattr(actor, "is_authenticated", False) else None,
            opened_at=now,
        )
        case.number = f"TJ{timezone.localdate(now):%Y}{case.pk:05d}"
        case.save(update_fields=["number"])
        Party.objects.bulk_create(
            Party(community=community, case=case, resident=p.resident, name=p.name, role=p.role) for p in clean
        )
        _mediator_rows(case, users)
        record(
            Action.MEDIATION_OPENED,
            actor=actor,
            obj=case,
            request=request,
            data={"kind": kind, "source": source, "urgency": case.urgency, "risk": violence_risk},
        )
        if appeal is not None:
            appeal_referrals.referral_note(appeal, actor=actor, number=case.number, what="mediation")
        notices.assigned(case, [u.pk for u in users if u.pk != getattr(actor, "pk", None)])
        if violence_risk:
            risk_alert(case)
    return case


def risk_alert(case: Case) -> bool:
    """Alert the branch secretary and the police liaison of a case at risk of violence, exactly once: the
    conditional update claims the alert, so a second call (a retry, a concurrent flag) sends nothing."""
    claimed = Case.objects.filter(pk=case.pk, violence_risk=True, risk_alerted_at__isnull=True).update(
        risk_alerted_at=timezone.now()
    )
    if claimed:
        notices.risk(case)
    return bool(claimed)


def case_flag_risk(*, actor: Any, case: Case, request: HttpRequest | None = None) -> Case:
    """Flag a risk of violence found later (a mediator, a session): alerts once, like at intake."""
    if case.status in (Status.REFERRED, Status.CLOSED, Status.NO_AGREEMENT):
        raise ValidationError(_("This case is closed."))
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(violence_risk=True, urgency=Urgency.URGENT)
        case.violence_risk, case.urgency = True, Urgency.URGENT
        record(Action.MEDIATION_RISK_FLAGGED, actor=actor, obj=case, request=request, data={})
        risk_alert(case)
    case.refresh_from_db()
    return case


def mediators_set(
    *, actor: Any, case: Case, lead: Any, co_mediators: Sequence[Any] = (), request: HttpRequest | None = None
) -> Case:
    errors: dict[str, list[str]] = {}
    users = _check_mediators(case.community, lead, co_mediators, errors)
    _party_conflicts(list(case.parties.all()), users, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = set(case.mediators.values_list("user_id", flat=True))
        case.mediators.all().delete()
        _mediator_rows(case, users)
        record(
            Action.MEDIATION_MEDIATORS_SET,
            actor=actor,
            obj=case,
            request=request,
            data={"mediators": [u.pk for u in users]},
        )
        notices.assigned(case, [u.pk for u in users if u.pk not in before])
    return case


def _require_open(case: Case) -> None:
    if case.status != Status.OPEN:
        raise ValidationError(
            _("This case is no longer being mediated (%(status)s).") % {"status": case.get_status_display()}
        )


def mediation_rooms(community: OrgUnit) -> Any:
    """The rooms of the community's stations a session may be held in, the mediation room (调解室) first."""
    rooms = Space.objects.filter(community=community, is_active=True, kind=Space.Kind.ROOM)
    return sorted(rooms, key=lambda s: (0 if "调解" in s.name or "mediation" in s.name.lower() else 1, s.name))


def session_schedule(
    *,
    actor: Any,
    case: Case,
    space: Space,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    request: HttpRequest | None = None,
) -> Session:
    """Book ``space`` (with its rules) for a session of ``case``; the booking names the case number only."""
    _require_open(case)
    errors: dict[str, list[str]] = {}
    if space.community_id != case.community_id:
        errors["space"] = [_("Choose a room of the case's community.")]
    if starts_at is None or ends_at is None:
        errors["starts_at"] = [_("Give the start and the end.")]
    elif ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    elif starts_at < timezone.now():
        errors["starts_at"] = [_("A session is scheduled in the future.")]
    elif Booking.objects.filter(
        space=space,
        status__in=(Booking.Status.PENDING, Booking.Status.CONFIRMED),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists():
        errors["space"] = [_("This room is already booked at that time. Choose another time or room.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        result = space_services.booking_create(
            actor=actor,
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            title=_("Mediation %(number)s") % {"number": case.number},
            on_conflict="fail",
            request=request,
        )
        if not result.bookings:
            raise ValidationError(
                {"space": [_("This room is already booked at that time. Choose another time or room.")]}
            )
        session = Session.objects.create(
            community_id=case.community_id,
            case=case,
            booking=result.bookings[0],
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record(
            Action.MEDIATION_SESSION_SCHEDULED,
            actor=actor,
            obj=case,
            request=request,
            data={"session": session.pk, "space": space.pk, "starts_at": starts_at.isoformat()},
        )
    return session


def session_record(
    *,
    actor: Any,
    session: Session,
    attended: Sequence[Party],
    notes: str,
    request: HttpRequest | None = None,
) -> Session:
    """Record who attended a session and its notes (screened)."""
    errors: dict[str, list[str]] = {}
    notes = _text(notes, "notes", errors, required=False)
    if any(p.case_id != session.case_id for p in attended):
        errors["attended"] = [_("Choose parties of this case.")]
    if session.starts_at > timezone.now():
        errors["session"] = [_("A session is recorded once it has started.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session.notes = screening.screen(notes)
        session.held = True
        session.save(update_fields=["notes", "held"])
        session.attended.set(attended)
        record(
            Action.MEDIATION_SESSION_RECORDED,
            actor=actor,
            obj=session.case,
            request=request,
            data={"session": session.pk, "attended": len(attended)},
        )
    return session


def agreement_record(
    *,
    actor: Any,
    case: Case,
    facts: str,
    undertakings: Sequence[UndertakingIn],
    follow_up_days: Sequence[int] = FOLLOW_UP_DAYS,
    request: HttpRequest | None = None,
) -> Case:
    """The agreement (调解协议书): the facts and what each party undertakes by when; schedules the follow-ups."""
    _require_open(case)
    errors: dict[str, list[str]] = {}
    facts = _text(facts, "facts", errors, required=True)
    today = timezone.localdate()
    clean: list[UndertakingIn] = []
    for item in undertakings:
        text = (item.text or "").strip()
        if not text:
            continue
        if item.party.case_id != case.pk:
            errors.setdefault("undertakings", []).append(_("Choose parties of this case."))
        elif item.due_on is None or item.due_on < today:
            errors.setdefault("undertakings", []).append(_("Each undertaking needs a date from today on."))
        elif len(text) > TEXT_MAX:
            errors.setdefault("undertakings", []).append(_("At most %(n)d characters.") % {"n": TEXT_MAX})
        else:
            clean.append(UndertakingIn(item.party, text, item.due_on))
    if not clean and "undertakings" not in errors:
        errors["undertakings"] = [_("An agreement says what at least one party undertakes, and by when.")]
    days = sorted({int(d) for d in follow_up_days})
    if not days or days[0] < 1 or days[-1] > 366:
        errors["follow_up_days"] = [_("Follow-ups are between 1 and 366 days after the agreement.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _require_open(locked)
        case.facts = screening.screen(facts)
        case.status = Status.AGREED
        case.decided_at = now
        case.save(update_fields=["facts", "status", "decided_at"])
        Undertaking.objects.filter(case=case).delete()
        Undertaking.objects.bulk_create(
            Undertaking(
                community_id=case.community_id, case=case, party=u.party, text=screening.screen(u.text), due_on=u.due_on
            )
            for u in clean
        )
        FollowUp.objects.filter(case=case, done_at__isnull=True).delete()
        FollowUp.objects.bulk_create(
            FollowUp(community_id=case.community_id, case=case, due_on=today + dt.timedelta(days=d)) for d in days
        )
        record(
            Action.MEDIATION_AGREED,
            actor=actor,
            obj=case,
            request=request,
            data={"undertakings": len(clean), "follow_ups": days},
        )
    return case


def no_agreement_record(*, actor: Any, case: Case, reason: str, request: HttpRequest | None = None) -> Case:
    _require_open(case)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", errors, required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        now = timezone.now()
        case.status, case.decided_at, case.closed_at = Status.NO_AGREEMENT, now, now
        case.no_agreement_reason = screening.screen(reason)
        case.save(update_fields=["status", "decided_at", "closed_at", "no_agreement_reason"])
        record(Action.MEDIATION_NO_AGREEMENT, actor=actor, obj=case, request=request, data={})
    return case


def referral_record(
    *, actor: Any, case: Case, referred_to: str, reason: str, request: HttpRequest | None = None
) -> Case:
    """Refer a case on (司法所, 派出所, court), with where and why. A referred case is not reopened here."""
    if case.status not in (Status.OPEN, Status.AGREED):
        raise ValidationError(_("This case is closed."))
    errors: dict[str, list[str]] = {}
    if referred_to not in ReferredTo.values:
        errors["referred_to"] = [_("Choose where the case is referred.")]
    reason = _text(reason, "reason", errors, required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        now = timezone.now()
        case.status, case.closed_at = Status.REFERRED, now
        case.decided_at = case.decided_at or now
        case.referred_to, case.referral_reason = referred_to, screening.screen(reason)
        case.save(update_fields=["status", "decided_at", "closed_at", "referred_to", "referral_reason"])
        FollowUp.objects.filter(case=case, done_at__isnull=True).delete()
        record(Action.MEDIATION_REFERRED, actor=actor, obj=case, request=request, data={"to": referred_to})
    return case


def follow_up_record(
    *, actor: Any, follow_up: FollowUp, result: str, note: str = "", request: HttpRequest | None = None
) -> FollowUp:
    """A follow-up's result (kept / partly kept / broken). When the last one is in and nothing was broken, the
    case closes; a broken agreement may reopen the case (:func:`case_reopen`)."""
    case = follow_up.case
    errors: dict[str, list[str]] = {}
    if case.status != Status.AGREED or case.decided_at is None:
        errors["result"] = [_("A follow-up is recorded after an agreement.")]
    elif follow_up.done_at is not None:
        errors["result"] = [_("This follow-up is recorded already.")]
    if result not in FollowUp.Result.values:
        errors.setdefault("result", []).append(_("Choose whether the agreement was kept."))
    note = _text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claimed = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
            result=result,
            note=screening.screen(note),
            done_at=timezone.now(),
            done_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if not claimed:
            raise ValidationError({"result": [_("This follow-up is recorded already.")]})
        follow_up.refresh_from_db()
        record(
            Action.MEDIATION_FOLLOWED_UP,
            actor=actor,
            obj=case,
            request=request,
            data={"follow_up": follow_up.pk, "result": result},
        )
        pending = FollowUp.objects.filter(case=case, done_at__isnull=True).exists()
        broken = FollowUp.objects.filter(case=case, result=FollowUp.Result.BROKEN).exists()
        if not pending and not broken:
            case.status, case.closed_at = Status.CLOSED, timezone.now()
            case.save(update_fields=["status", "closed_at"])
            record(Action.MEDIATION_CLOSED, actor=actor, obj=case, request=request, data={})
    return follow_up


def follow_up_reminders_send(*, today: dt.date | None = None, batch: int = 200) -> int:
    """The worker's sweep: each follow-up of an agreed case that is due (today or overdue) and not yet recorded
    sends its lead mediator (all the case's mediators when it has no lead) one inbox message, exactly once:
    a conditional update of ``reminded_at`` claims it in the same transaction as the message, so a second
    sweep, a second worker or a crash before the commit never sends it twice or loses it."""
    today = today or timezone.localdate()
    due = list(
        FollowUp.objects.filter(
            reminded_at__isnull=True, done_at__isnull=True, due_on__lte=today, case__status=Status.AGREED
        )
        .select_related("case")
        .order_by("due_on", "id")[:batch]
    )
    sent = 0
    for follow_up in due:
        with transaction.atomic():
            if not FollowUp.objects.filter(pk=follow_up.pk, reminded_at__isnull=True, done_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            case = follow_up.case
            lead = Mediator.objects.filter(case=case, is_lead=True, user__is_active=True).values_list(
                "user_id", flat=True
            )
            users = list(lead) or list(
                Mediator.objects.filter(case=case, user__is_active=True).values_list("user_id", flat=True)
            )
            if users:
                notices.follow_up_due(case, users, follow_up.due_on.isoformat())
                sent += 1
    return sent


def case_reopen(*, actor: Any, case: Case, request: HttpRequest | None = None) -> Case:
    """Reopen a case whose agreement a follow-up found broken. A case referred on stays with where it went."""
    if case.status == Status.REFERRED:
        raise ValidationError(_("A case referred on is not reopened here: it is with the body it was referred to."))
    broken = FollowUp.objects.filter(case=case, result=FollowUp.Result.BROKEN).exists()
    if case.status not in (Status.AGREED, Status.CLOSED) or not broken:
        raise ValidationError(_("Only a case whose agreement a follow-up found broken can be reopened."))
    with transaction.atomic():
        case.status, case.closed_at, case.decided_at = Status.OPEN, None, None
        case.reopened += 1
        case.save(update_fields=["status", "closed_at", "decided_at", "reopened"])
        FollowUp.objects.filter(case=case, done_at__isnull=True).delete()
        record(Action.MEDIATION_REOPENED, actor=actor, obj=case, request=request, data={"times": case.reopened})
    return case


def content_read(*, actor: Any, case: Case, what: str, request: HttpRequest | None = None) -> None:
    """The access-log row of one read of a case's content (the registry's PII log): who, which case, what."""
    record_pii_access(
        actor=actor,
        subject=case,
        field=what[:64],
        reason=RevealReason(Purpose.OTHER, f"mediation {what}"),
        community=case.community,
        request=request,
    )


def eligible_choices(community: OrgUnit) -> list[Any]:
    """The accounts a case of ``community`` may be assigned to, by name (forms)."""
    from anju.access.roles import STAFF_ROLES, Role
    from anju.accounts.models import User

    return list(
        User.objects.filter(
            OrgUnit.subtree_q(community, "grants__unit__"),
            is_active=True,
            grants__role__in=[*STAFF_ROLES, Role.VOLUNTEER],
            grants__unit__is_active=True,
        )
        .distinct()
        .order_by("display_name", "id")
    )
