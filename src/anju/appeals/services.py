"""The state machine of an appeal, shared by its steps: one transaction each, one audit row, a timeline
step (:func:`transition`). The steps live by sub-domain, each a sub-package with its ``services.py``:
``intake`` (filing, 我也遇到), ``dispatch`` (the community's triage: accept, reject, dispatch, verify,
close), ``handling`` (the department's steps: sign, contact, progress, wait, feedback), ``callback`` (回访,
and ``callback.followers``), ``whistles``, ``requesters``; the recompute after a holiday schedule changes in
``recompute`` (the schedule itself is ``anju.calendar``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.access import policy
from anju.appeals import clock
from anju.appeals.models import Appeal, AppealEvent, Status
from anju.appeals.rates import rollup
from anju.appeals.sla import compute_deadlines, set_due
from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.core import proxying, screening
from anju.core.api import Conflict
from anju.orgs.models import Department


class InvalidTransition(Conflict):
    """A step asked for in the wrong state (answered 409)."""


def require(actor: Any, action: str, appeal: Appeal) -> None:
    """Refuse (``PermissionDenied``) unless ``actor`` may do ``action`` on ``appeal``; ``None`` is the system."""
    if actor is None:  # the system itself (demo loader, worker)
        return
    if not policy.can(actor, action, appeal):
        raise PermissionDenied


def _label(actor: Any) -> str:
    if actor is None:
        return "anju"
    return str(actor)[:100]


def proxy_fields(actor: Any) -> dict[str, Any]:
    """The family proxy acting for ``actor`` in this request (子女代办), as timeline-event fields."""
    proxy = proxying.current()
    if proxy is None or getattr(actor, "pk", None) != proxy.grantor_id:
        return {}
    return {"proxy_id": proxy.user_id, "proxy_label": proxy.label[:100]}


def timeline_event(
    appeal: Appeal,
    *,
    actor: Any,
    action: str,
    from_status: str = "",
    note: str = "",
    note_key: str = "",
    note_params: dict[str, Any] | None = None,
    public: bool = True,
    department: Department | None = None,
) -> AppealEvent:
    """One timeline step. ``note`` is what a person typed (kept as typed); ``note_key`` + ``note_params`` a
    sentence of :mod:`anju.appeals.notes`, rendered in the reader's language when shown. The typed note is
    stored screened (``core.screening``: numbers sealed, shown masked)."""
    return AppealEvent.objects.create(
        community_id=appeal.community_id,
        appeal=appeal,
        action=action,
        from_status=from_status,
        to_status=appeal.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        department=department,
        note=screening.screen(note),
        note_key=note_key,
        note_params=note_params or {},
        public=public,
        at=clock.now(),
        **proxy_fields(actor),
    )


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
    "remind": gettext_lazy("reminded"),
    "complex": gettext_lazy("marked as complex"),
}


DEPARTMENT_PERMS = {"appeal.lead", "appeal.handle"}


def transition(
    *,
    actor: Any,
    appeal: Appeal,
    perm: str,
    name: str,
    allowed: Any,
    to: str | None,
    note: str = "",
    note_key: str = "",
    note_params: dict[str, Any] | None = None,
    public: bool = True,
    request: HttpRequest | None = None,
    mutate: Callable[[Appeal, dt.datetime], dict[str, Any] | None] | None = None,
    recompute: bool = False,
) -> Appeal:
    """One step of the state machine: authorise ``perm``, lock the row, check the status is in ``allowed``,
    move it to ``to``, let ``mutate`` change the row (its result goes into the audit data), recompute or
    carry the due time, and write the timeline step and the audit row, all in one transaction."""
    require(actor, perm, appeal)
    _fits(note)
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
        timeline_event(
            locked,
            actor=actor,
            action=name,
            from_status=before,
            note=note,
            note_key=note_key,
            note_params=note_params,
            public=public,
            # A department's own step names the department, so the timeline can say who acted even when
            # no person is attached (a step recorded by the system on the department's behalf).
            department=locked.department if perm in DEPARTMENT_PERMS else None,
        )
        record(
            Action.APPEAL_TRANSITION,
            actor=actor,
            obj=locked,
            request=request,
            data={"step": name, "changed": diff({"status": before}, {"status": locked.status}), **data},
        )
    appeal.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    # The caller's related objects cached before the step (e.g. ``department`` read as None before the
    # dispatch) would go stale: take the locked row's cache, so anything else loads afresh.
    appeal._state.fields_cache = dict(locked._state.fields_cache)
    return appeal


NOTE_MAX = 2000  # characters of a timeline note: a page of text, not a pasted document


def _fits(text: str, field: str = "note") -> None:
    if len(text or "") > NOTE_MAX:
        raise ValidationError(
            {field: [_("Keep it to %(max)d characters (this has %(n)d).") % {"max": NOTE_MAX, "n": len(text)}]}
        )


def need_text(text: str, field: str, message: str) -> str:
    """``text`` stripped; a ``ValidationError`` on ``field`` saying ``message`` when empty or too long."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    _fits(text, field)
    return text


def appeal_add_info(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> AppealEvent:
    """The requester adds to her open appeal (a detail, a better time to call): a public timeline step that
    the community and the departments read. The status stays."""
    note = need_text(note, "note", _("Write what you want to add."))
    if not policy.can(actor, "appeal.add_info", appeal):
        raise PermissionDenied
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if not appeal.is_open:
            raise ValidationError({"note": [_("This appeal is closed; file a new one if the problem is back.")]})
        event = timeline_event(appeal, actor=actor, action="add_info", from_status=appeal.status, note=note)
        record(Action.APPEAL_INFO_ADDED, actor=actor, obj=appeal, request=request)
    return event


def appeal_note(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> AppealEvent:
    """An internal note: staff and the departments see it, the requester does not."""
    note = need_text(note, "note", _("Write the note."))
    if not (policy.can(actor, "appeal.triage", appeal) or policy.can(actor, "appeal.handle", appeal)):
        raise PermissionDenied
    with transaction.atomic():
        event = timeline_event(appeal, actor=actor, action="note", from_status=appeal.status, note=note, public=False)
        record(Action.APPEAL_NOTE, actor=actor, obj=appeal, request=request)
    return event


#: Where an appeal may be marked complex: open and its handling feedback not yet given.
COMPLEXABLE = frozenset(
    {
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.REFERRED,
        Status.SIGNED,
        Status.IN_PROGRESS,
        Status.WAITING,
        Status.REOPENED,
    }
)


def appeal_mark_complex(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    """复杂诉求: a worker of the appeal's community or the lead department marks it complex, with a reason. Its
    deadlines are computed again by the policy's complex variant (15 working days' feedback); the timeline
    shows the reason and the department leading it then (``note_params``), and the roll-up counts the mark
    against that department (``complex_marked``: the three-rate page, ``rates.selectors.complex_marks``). Only the
    feedback deadline lengthens (docs/rates.md)."""
    from anju.appeals import notes

    reason = need_text(reason, "note", _("Give the reason why the appeal is complex."))
    params: dict[str, Any] = {}

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        params["department_id"] = a.department_id  # the department leading it when marked (on the locked row)
        if a.is_complex:
            raise InvalidTransition(_("This appeal is marked complex already."))
        before = a.feedback_due
        a.is_complex = True
        rollup.bump_appeal(a, day=at, department_id=a.department_id, complex_marked=1)
        return {"complex": True, "department": a.department_id, "feedback_due_before": str(before or "")}

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.complex",
        name="complex",
        allowed=COMPLEXABLE,
        to=None,
        note=reason,
        note_key=notes.COMPLEX,
        note_params=params,
        request=request,
        mutate=mutate,
        recompute=True,
    )
