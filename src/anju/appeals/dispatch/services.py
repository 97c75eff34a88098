"""The community's triage of an appeal: accept, reject, mark as a duplicate, dispatch or re-route to a lead
unit with assisting units (首接负责), referral back by the department, verification (核查), return to the
department, and closing unresolved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.appeals import notes, notify
from anju.appeals.models import Appeal, AppealAssist, AppealEvent, AppealFollower, Category, CategoryRoute, Status
from anju.appeals.policies import forget_follows
from anju.appeals.rates import rollup
from anju.appeals.services import need_text, transition
from anju.orgs.models import Department, OrgUnit


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


def appeal_accept(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.accepted_at = at

    return transition(
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
    reason = need_text(reason, "note", _("Give the reason for rejecting."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.closed_at = at

    return transition(
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
            forget_follows(original)
        return {"original": original.pk}

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="duplicate",
        allowed={Status.RECEIVED, Status.ACCEPTED},
        to=Status.DUPLICATE,
        note_key=notes.DUPLICATE,
        note_params={"number": original.number},
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
    if not appeal.community.is_within(department.unit):
        raise ValidationError({"department": [_("This department does not serve the appeal's community.")]})
    assisting = [d for d in assisting if d.pk != department.pk]

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        before, held_by = a.status, a.department_id
        a.status = Status.DISPATCHED
        counted = count_dispatch(a, department=department, before=before, at=at)
        a.department = department
        a.dispatched_at = at
        a.signed_at = a.contacted_at = None
        a.waiting_reason = ""
        if a.accepted_at is None:
            a.accepted_at = at
        AppealAssist.objects.filter(appeal=a).exclude(department__in=assisting).delete()
        for d in assisting:
            AppealAssist.objects.get_or_create(appeal=a, department=d, defaults={"community_id": a.community_id})
        notify.notify(
            notify.liaisons_of([department.pk, *[d.pk for d in assisting]]),
            appeal=a,
            kind="appeal.dispatched",
            title=_("Appeal %(number)s dispatched to %(department)s")
            % {"number": a.number, "department": department.name},
        )
        data: dict[str, Any] = {"department": department.pk, "assisting": [d.pk for d in assisting]}
        if held_by is not None:
            data["previous"] = held_by
            data["counted"] = counted
        return data

    # The department's id goes with the timeline step: the roll-up rebuild and the recount read it there.
    params: dict[str, Any] = {"department": department.name, "department_id": department.pk}
    if assisting:
        params["names"] = [d.name for d in assisting]
    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="dispatch",
        allowed={Status.RECEIVED, Status.ACCEPTED, Status.REFERRED, Status.DISPATCHED},
        note=note.strip(),
        note_key=notes.DISPATCHED_ASSISTING if assisting else notes.DISPATCHED,
        note_params=params,
        to=None,
        request=request,
        mutate=mutate,
        recompute=True,
    )


def count_dispatch(a: Appeal, *, department: Department, before: str, at: dt.datetime) -> str:
    """Count a dispatch in the roll-up by docs/rates.md and say how (``first``, ``moved``, ``missed``, ``kept``).

    The response rate counts each appeal once, on the day and against the department of the dispatch that kept
    it: a re-route by the community, or a referral back that the community takes (it dispatches elsewhere),
    moves the count off the department it was wrongly sent to. A referral the community does not take (it
    dispatches to the same department again) settles the response as missed, on the dispatch referred. Once
    settled (signed and contacted, or missed), the response never moves again. The community's routing
    accuracy counts the dispatches to a department not already leading the appeal, and those re-routed or
    rightly referred back (``misrouted``), on their own day: a figure of the community, not of the department."""
    held_by = a.department_id
    if held_by is None:
        rollup.bump_appeal(a, day=at, department_id=department.pk, dispatched=1, dispatches=1)
        return "first"
    last = (
        (
            AppealEvent.objects.filter(appeal=a, action="dispatch").order_by("-at", "-id").values_list("at", flat=True)
        ).first()
        or a.dispatched_at
        or at
    )
    moved = held_by != department.pk
    if moved:
        rollup.bump_appeal(a, day=last, department_id=held_by, misrouted=1)
        rollup.bump_appeal(a, day=at, department_id=department.pk, dispatches=1)
    if a.responded_on_time is not None:
        return "kept"
    if not moved and before == Status.REFERRED:
        a.responded_on_time = False
        return "missed"
    rollup.bump_appeal(a, day=last, department_id=held_by, dispatched=-1)
    rollup.bump_appeal(a, day=at, department_id=department.pk, dispatched=1)
    return "moved"


def appeal_refer(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    """The department says it is not theirs: back to the community for re-dispatch."""
    reason = need_text(reason, "note", _("Say why this is not your department's."))
    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.lead",
        name="refer",
        allowed={Status.DISPATCHED, Status.SIGNED},
        to=Status.REFERRED,
        note=reason,
        request=request,
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

    return transition(
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
    reason = need_text(reason, "note", _("Say what is still wrong."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.handled_at = None

    return transition(
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
    reason = need_text(reason, "note", _("Give the reason for closing unresolved."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.closed_at = at
        rollup.bump_appeal(a, day=at, department_id=a.department_id, completed=1)

    return transition(
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


REMINDABLE = frozenset({Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED})


def appeal_remind(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    """The community reminds the lead department (催办) by hand: its liaisons get a message; the status stays.
    Only while a department holds the appeal."""

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        told = notify.notify(
            notify.liaisons_of([a.department_id]),
            appeal=a,
            kind="appeal.reminded",
            title=_("Reminder from the community: appeal %(number)s") % {"number": a.number},
        )
        return {"department": a.department_id, "told": told}

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.triage",
        name="remind",
        allowed=REMINDABLE,
        to=None,
        note=note.strip(),
        note_key=notes.REMINDED,
        note_params={"department": appeal.department.name if appeal.department_id and appeal.department else ""},
        public=False,
        request=request,
        mutate=mutate,
    )
