"""The department's steps on a dispatched appeal: sign for it (签收), contact the requester, record progress,
wait with a reason, and submit handling feedback. Signing and contacting within their deadlines count
towards the response rate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.appeals import notify
from anju.appeals.models import Appeal, AppealPhoto, Status
from anju.appeals.photos import clean_photos
from anju.appeals.rates import rollup
from anju.appeals.services import need_text, transition

_HANDLING = {Status.SIGNED, Status.IN_PROGRESS, Status.WAITING}


def _check_response(a: Appeal) -> None:
    """The response counts once per appeal (docs/rates.md): signed and contacted, both within the deadlines of
    the dispatch that kept it; settled once, never again (not by a reopen round, nor by a later re-dispatch)."""
    if a.responded_on_time is not None or a.signed_at is None or a.contacted_at is None:
        return
    on_time = bool(a.sign_due and a.contact_due and a.signed_at <= a.sign_due and a.contacted_at <= a.contact_due)
    a.responded_on_time = on_time
    if on_time and a.dispatched_at is not None:
        rollup.bump_appeal(a, day=a.dispatched_at, department_id=a.department_id, responded=1)


def appeal_sign(*, actor: Any, appeal: Appeal, note: str = "", request: HttpRequest | None = None) -> Appeal:
    def mutate(a: Appeal, at: dt.datetime) -> None:
        if a.signed_at is None:
            a.signed_at = at
        _check_response(a)

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.lead",
        name="sign",
        allowed={Status.DISPATCHED, Status.REOPENED},
        to=Status.SIGNED,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_contact(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> Appeal:
    note = need_text(note, "note", _("Note how you contacted the requester."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        if a.contacted_at is None:
            a.contacted_at = at
        if a.status == Status.SIGNED:
            a.status = Status.IN_PROGRESS
        _check_response(a)

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.lead",
        name="contact",
        allowed=_HANDLING,
        to=None,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_progress(*, actor: Any, appeal: Appeal, note: str, request: HttpRequest | None = None) -> Appeal:
    note = need_text(note, "note", _("Describe the progress."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.waiting_reason = ""

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.handle",
        name="progress",
        allowed=_HANDLING,
        to=Status.IN_PROGRESS,
        note=note,
        request=request,
        mutate=mutate,
    )


def appeal_wait(*, actor: Any, appeal: Appeal, reason: str, request: HttpRequest | None = None) -> Appeal:
    reason = need_text(reason, "note", _("Give the reason for waiting."))

    def mutate(a: Appeal, at: dt.datetime) -> None:
        a.waiting_reason = reason[:200]

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.lead",
        name="wait",
        allowed={Status.SIGNED, Status.IN_PROGRESS},
        to=Status.WAITING,
        note=reason,
        request=request,
        mutate=mutate,
    )


def appeal_feedback(
    *, actor: Any, appeal: Appeal, note: str, photos: Sequence[Any] = (), request: HttpRequest | None = None
) -> Appeal:
    note = need_text(note, "note", _("Describe how the problem was handled."))
    cleaned = clean_photos(photos)

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        a.handled_at = at
        a.waiting_reason = ""
        if a.contacted_at is None:
            a.contacted_at = at
            _check_response(a)
        for photo in cleaned:
            AppealPhoto.objects.create(
                community_id=a.community_id,
                appeal=a,
                stage=AppealPhoto.Stage.FEEDBACK,
                image=photo.content,
                width=photo.width,
                height=photo.height,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        notify.notify(
            notify.community_staff(a),
            appeal=a,
            kind="appeal.handled",
            title=_("Appeal %(number)s handled; please verify") % {"number": a.number},
        )
        return {"photos": len(cleaned)}

    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.lead",
        name="feedback",
        allowed=_HANDLING,
        to=Status.HANDLED,
        note=note,
        request=request,
        mutate=mutate,
    )
