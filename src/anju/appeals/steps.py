"""The step table: every step a person takes on an appeal's page or through the API, once.

Each :class:`Step` names the permission action it needs and the service it calls with a typed
:class:`StepInput`. The HTML view (``views.appeal_act``) parses its form into a ``StepInput``, the API
(``api.take_step``) builds one from its validated schema, and both call :func:`step_take`, which authorises
the step and runs it. A new step is one row here; nothing else repeats its permission.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import privacy, services
from anju.appeals.callback import followers
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import Appeal, AppealFollower, SatisfactionLevel
from anju.orgs.models import Department


@dataclass(frozen=True, kw_only=True)
class StepInput:
    """What a step may be given, already parsed: ids are ids (``None`` when absent), flags are booleans.
    Each step reads only its own fields (see :data:`STEPS`); the rest keep their defaults."""

    note: str = ""
    department_id: int | None = None  # dispatch: the lead unit
    assisting_ids: Sequence[int] = ()  # dispatch: assisting units
    original_id: int | None = None  # duplicate: the appeal this one repeats
    resolved: bool = False  # callback
    satisfaction: str = ""  # callback: a satisfaction level's code
    comment: str = ""  # callback
    follower_id: int | None = None  # callback: a worker records this follower's answer (user id)
    shared: bool = False  # share: show the appeal's details to its followers
    photos: Sequence[UploadedFile] = ()  # feedback


Run = Callable[..., Any]


@dataclass(frozen=True)
class Step:
    name: str
    action: str  # the policy action (``policies.py``) the actor needs on this appeal
    run: Run  # run(*, actor, appeal, data: StepInput, request) -> the service's result


def _departments(ids: Sequence[int]) -> list[Department]:
    return list(Department.objects.filter(pk__in=list(ids)).select_related("unit"))


def _accept(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_accept(actor=actor, appeal=appeal, note=data.note, request=request)


def _reject(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_reject(actor=actor, appeal=appeal, reason=data.note, request=request)


def _duplicate(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    original = Appeal.objects.filter(pk=data.original_id).first() if data.original_id else None
    if original is None:
        raise ValidationError({"original": [_("Enter the number of the original appeal.")]})
    return dispatch.appeal_mark_duplicate(actor=actor, appeal=appeal, original=original, request=request)


def _dispatch(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    lead = _departments([data.department_id]) if data.department_id else []
    return dispatch.appeal_dispatch(
        actor=actor,
        appeal=appeal,
        department=lead[0] if lead else None,
        assisting=_departments(data.assisting_ids),
        note=data.note,
        request=request,
    )


def _remind(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_remind(actor=actor, appeal=appeal, note=data.note, request=request)


def _verify(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_verify(actor=actor, appeal=appeal, note=data.note, request=request)


def _return(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_return(actor=actor, appeal=appeal, reason=data.note, request=request)


def _close(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_close_unresolved(actor=actor, appeal=appeal, reason=data.note, request=request)


def _refer(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return dispatch.appeal_refer(actor=actor, appeal=appeal, reason=data.note, request=request)


def _sign(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return handling.appeal_sign(actor=actor, appeal=appeal, note=data.note, request=request)


def _contact(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return handling.appeal_contact(actor=actor, appeal=appeal, note=data.note, request=request)


def _progress(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return handling.appeal_progress(actor=actor, appeal=appeal, note=data.note, request=request)


def _wait(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return handling.appeal_wait(actor=actor, appeal=appeal, reason=data.note, request=request)


def _feedback(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return handling.appeal_feedback(
        actor=actor, appeal=appeal, note=data.note, photos=list(data.photos), request=request
    )


def _callback(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    level = SatisfactionLevel.objects.filter(code=data.satisfaction).first()
    if data.follower_id is not None:  # a worker records a follower's answer
        follower = AppealFollower.objects.filter(appeal=appeal, user_id=data.follower_id).first()
        return followers.follower_callback(
            actor=actor,
            appeal=appeal,
            follower=follower.user if follower else None,
            resolved=data.resolved,
            satisfaction=level,
            comment=data.comment,
            request=request,
        )
    return callback.appeal_callback(
        actor=actor,
        appeal=appeal,
        resolved=data.resolved,
        satisfaction=level,
        comment=data.comment,
        request=request,
    )


def _note(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return services.appeal_note(actor=actor, appeal=appeal, note=data.note, request=request)


def _complex(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return services.appeal_mark_complex(actor=actor, appeal=appeal, reason=data.note, request=request)


def _add_info(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return services.appeal_add_info(actor=actor, appeal=appeal, note=data.note, request=request)


def _share(*, actor: Any, appeal: Appeal, data: StepInput, request: HttpRequest | None) -> Any:
    return privacy.appeal_share(actor=actor, appeal=appeal, shared=data.shared, request=request)


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("accept", "appeal.triage", _accept),
        Step("reject", "appeal.triage", _reject),
        Step("duplicate", "appeal.triage", _duplicate),
        Step("dispatch", "appeal.triage", _dispatch),
        Step("remind", "appeal.triage", _remind),
        Step("verify", "appeal.triage", _verify),
        Step("return", "appeal.triage", _return),
        Step("close", "appeal.triage", _close),
        Step("share", "appeal.triage", _share),
        Step("refer", "appeal.lead", _refer),
        Step("sign", "appeal.lead", _sign),
        Step("contact", "appeal.lead", _contact),
        Step("wait", "appeal.lead", _wait),
        Step("feedback", "appeal.lead", _feedback),
        Step("progress", "appeal.handle", _progress),
        Step("callback", "appeal.callback", _callback),
        # Staff of its community or the lead department: a reason, then 15 working days' feedback.
        Step("complex", "appeal.complex", _complex),
        Step("add_info", "appeal.add_info", _add_info),
        # Staff and departments alike; the service says which of them may write one.
        Step("note", "appeal.view", _note),
    )
}


def step_take(*, actor: Any, appeal: Appeal, step: str, data: StepInput, request: HttpRequest | None = None) -> Any:
    """Take ``step`` on ``appeal`` (already fetched with ``appeal.view``). A step of another role answers
    404, like a missing appeal; an unknown step is a validation error; the service does the rest."""
    found = STEPS.get(step)
    if found is not None and not policy.can(actor, found.action, appeal):
        raise Http404
    if found is None:
        raise ValidationError({"action": [_("Unknown step.")]})
    return found.run(actor=actor, appeal=appeal, data=data, request=request)
