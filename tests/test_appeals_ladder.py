"""Issue 22, items 2–5: an escalation ladder per deadline, a fresh round on reopen, explicit SLA bases, and
"complex" set from the page and the API (audited, on the timeline, counted per department)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from anju.appeals import clock, sla
from anju.appeals.callback import services as callback
from anju.appeals.config import services as config
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import Appeal, AppealEvent, Escalation, SlaBasis, SlaPolicy, Status, Urgency
from anju.appeals.rates import selectors
from anju.appeals.recompute import deadlines_recompute
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.calendar.workdays import Calendar
from anju.inbox.models import Message
from anju.testing import email_everyone, english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]

TZ = timezone.get_current_timezone()
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _email(settings: Any, monkeypatch: Any) -> None:
    email_everyone(settings, monkeypatch)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _ladder(appeal: Appeal) -> list[tuple[str, int, int]]:
    return list(appeal.escalations.order_by("id").values_list("stage", "round", "level"))


# --- 1. a ladder per deadline -------------------------------------------------------------------


def test_a_late_dispatch_still_gets_the_signing_reminder_and_urge(world: AppealsWorld) -> None:
    with clock.frozen(MONDAY):
        appeal = world.file()
    # The dispatch (due Tuesday 09:00) is late: its reminder and 催办 (Wednesday 09:00) fire.
    assert sla.sweep_escalations(now=_at(4, 9)) == 2
    with clock.frozen(_at(4, 10)):
        dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department)
    appeal.refresh_from_db()
    assert appeal.sign_due == _at(4, 12)
    assert appeal.escalation_level == 0  # the signing's ladder starts from zero
    # The signing's reminder: a quarter of its two hours before the deadline, to the department's liaison.
    assert sla.sweep_escalations(now=_at(4, 11, 29)) == 0
    assert sla.sweep_escalations(now=_at(4, 11, 30)) == 1
    assert _ladder(appeal)[-1] == ("sign", 0, Escalation.Level.REMINDER)
    # 催办 the working day after the signing deadline (and the contact's reminder, due Thursday 10:00).
    assert sla.sweep_escalations(now=_at(5, 11, 59)) == 1
    assert sla.sweep_escalations(now=_at(5, 12)) == 1
    assert _ladder(appeal) == [
        ("dispatch", 0, 1),
        ("dispatch", 0, 2),
        ("sign", 0, 1),
        ("contact", 0, 1),
        ("sign", 0, 2),
    ]
    kinds = list(
        Message.objects.filter(recipient=world.liaison, params__appeal=appeal.pk).values_list("kind", flat=True)
    )
    assert kinds.count("escalation.1") == 2  # the signing's and the contact's reminders
    assert kinds.count("escalation.2") == 1  # the signing's 催办
    assert sla.sweep_escalations(now=_at(5, 12)) == 0  # never twice
    # Signed: the signing's ladder stops; the contact's and the feedback's go on.
    with clock.frozen(_at(5, 13)):
        handling.appeal_sign(actor=world.liaison, appeal=appeal)
    appeal.refresh_from_db()
    assert [stage for stage, _due in sla.ladders(appeal)] == ["contact", "feedback"]


# --- 2. a reopen starts a fresh round -----------------------------------------------------------


def test_a_reopen_after_the_feedback_deadline_starts_a_fresh_round(world: AppealsWorld) -> None:
    with clock.frozen(MONDAY):
        appeal = world.file()
    assert sla.sweep_escalations(now=_at(4, 9)) == 2  # round 0: the late dispatch's reminder and 催办
    with clock.frozen(_at(4, 10)):
        world.to_status(appeal, Status.VERIFIED)
    assert sla.sweep_escalations(now=_at(4, 11)) == 0  # verified: no ladder runs
    reopened_at = _at(16, 10)  # a Monday, after the feedback deadline (11 March 09:00)
    with clock.frozen(reopened_at):
        callback.appeal_callback(
            actor=world.resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
        )
    appeal.refresh_from_db()
    assert appeal.status == Status.REOPENED
    # Fresh deadlines by the general policy, from the reopen: signing 2 hours, feedback 7 working days.
    assert appeal.sign_due == _at(16, 12)
    assert appeal.feedback_due == Calendar.load().add(reopened_at, 7, "workdays") == _at(25, 10)
    assert appeal.due_at == appeal.sign_due
    assert appeal.escalation_level == 0
    assert (appeal.reopen_count, appeal.round_started_at) == (1, reopened_at)
    # The new round's ladders start from zero: the signing's reminder fires, not its 通报.
    assert sla.sweep_escalations(now=_at(16, 10, 5)) == 0
    assert sla.sweep_escalations(now=_at(16, 11, 30)) == 1
    assert _ladder(appeal)[-1] == ("sign", 1, Escalation.Level.REMINDER)
    # A recompute (a holiday schedule changed) keeps the round's start.
    deadlines_recompute(year=2026)
    appeal.refresh_from_db()
    assert appeal.feedback_due == _at(25, 10)


# --- 3. explicit bases --------------------------------------------------------------------------


def test_emergency_feedback_counts_from_receipt_and_the_basis_is_the_policys(world: AppealsWorld) -> None:
    with clock.frozen(MONDAY):
        appeal = world.file(urgency=Urgency.EMERGENCY)
    assert (appeal.dispatch_due, appeal.feedback_due) == (_at(2, 10), _at(2, 11))
    with clock.frozen(_at(2, 9, 50)):
        dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department)
    appeal.refresh_from_db()
    assert appeal.sign_due == _at(2, 11, 50)  # from the dispatch
    assert appeal.feedback_due == _at(2, 11)  # two hours after receipt, not after the dispatch
    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.EMERGENCY, complex=False)
    assert (policy.dispatch_basis, policy.sign_basis, policy.contact_basis, policy.feedback_basis) == (
        SlaBasis.RECEIPT,
        SlaBasis.PREVIOUS,
        SlaBasis.PREVIOUS,
        SlaBasis.RECEIPT,
    )
    # The administrator counts emergency feedback from the dispatch instead: audited, and the recompute follows.
    config.sla_update(
        actor=world.admin,
        sla=policy,
        **{f"{s}_{p}": getattr(policy, f"{s}_{p}") for s in config.SLA_STAGES for p in ("value", "unit", "basis")}
        | {"feedback_basis": SlaBasis.PREVIOUS},
    )
    audit = AuditEvent.objects.filter(action=Action.APPEAL_SLA_UPDATED).latest("id")
    assert "feedback_basis" in json.dumps(audit.data)
    deadlines_recompute(year=2026)
    appeal.refresh_from_db()
    assert appeal.feedback_due == _at(2, 11, 50)


def test_the_sla_page_shows_and_edits_each_basis(world: AppealsWorld) -> None:
    client = english_client(world.admin)
    page = client.get("/appeals/config/sla/")
    assert page.status_code == 200
    assert b'data-basis="receipt"' in page.content
    assert b'data-basis="previous"' in page.content
    assert b"from receipt" in page.content
    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=False)
    form = client.get(f"/appeals/config/sla/{policy.pk}/")
    assert b'name="feedback_basis"' in form.content
    data = {f"{s}_{p}": getattr(policy, f"{s}_{p}") for s in config.SLA_STAGES for p in ("value", "unit", "basis")}
    bad = client.post(f"/appeals/config/sla/{policy.pk}/", {**data, "sign_basis": "tomorrow"})
    assert bad.status_code == 200  # the form again, with the error; nothing changed
    policy.refresh_from_db()
    assert policy.sign_basis == SlaBasis.PREVIOUS
    done = client.post(f"/appeals/config/sla/{policy.pk}/", {**data, "contact_basis": "receipt"})
    assert done.status_code == 302
    policy.refresh_from_db()
    assert policy.contact_basis == SlaBasis.RECEIPT


# --- 4. complex ---------------------------------------------------------------------------------


def test_complex_from_the_page_and_the_api_audited_on_the_timeline_and_counted(world: AppealsWorld) -> None:
    with clock.frozen(MONDAY):
        by_page = world.to_status(world.file(), Status.SIGNED)
        by_api = world.to_status(world.file(), Status.DISPATCHED)
    before = by_page.feedback_due
    liaison = english_client(world.liaison)
    detail = liaison.get(f"/appeals/{by_page.pk}/")
    assert b'data-step="complex"' in detail.content  # a step of the lead department's menu
    # A reason is required: nothing changes without one.
    empty = liaison.post(f"/appeals/{by_page.pk}/act/", {"action": "complex", "note": "  "})
    assert empty.status_code == 422
    assert not Appeal.objects.get(pk=by_page.pk).is_complex
    with clock.frozen(_at(2, 10)):
        done = liaison.post(f"/appeals/{by_page.pk}/act/", {"action": "complex", "note": "需要三个部门协调"})
    assert done.status_code == 302
    by_page.refresh_from_db()
    assert by_page.is_complex
    # The complex variant: 15 working days' feedback from receipt; signing and contact as before.
    assert by_page.feedback_due == Calendar.load().add(MONDAY, 15, "workdays") != before
    event = AppealEvent.objects.get(appeal=by_page, action="complex")
    assert event.note == "需要三个部门协调"
    assert event.public
    assert event.note_params == {"department_id": world.tree.department.pk}
    assert "Marked complex" in event.text
    audit = AuditEvent.objects.filter(action=Action.APPEAL_TRANSITION, object_id=str(by_page.pk)).latest("id")
    assert audit.data["step"] == "complex"
    assert audit.actor_id == world.liaison.pk
    assert "需要三个部门协调" in english_client(world.worker).get(f"/appeals/{by_page.pk}/").content.decode()
    # Twice is refused.
    again = liaison.post(f"/appeals/{by_page.pk}/act/", {"action": "complex", "note": "再来"})
    assert again.status_code == 409

    # The API: a worker of the community marks the other one.
    api = english_client(world.worker).post(
        f"/api/v1/appeals/{by_api.pk}/steps",
        json.dumps({"action": "complex", "note": "涉及产权"}),
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["is_complex"] is True

    # Counted per department leading the appeal when marked, and shown on the rates page.
    assert selectors.complex_marks(world.supervisor) == {world.tree.department.pk: 2}
    rates = english_client(world.supervisor).get("/appeals/rates/?group=department")
    body = rates.content.decode()
    assert "<td data-complex-marks>2</td>" in body
    assert "2 appeals marked complex" in body
    # And in the Excel export, in the department's row and the total.
    export = english_client(world.supervisor).get("/appeals/rates/?group=department&format=xlsx")
    sheet = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    column = sheet[1].index("Marked complex")
    department = next(row for row in sheet[2:] if row[0] == world.tree.department.name)
    assert department[column] == 2
    assert sheet[-1][column] == 2


@pytest.mark.parametrize("who", ["resident", "other_liaison", "volunteer"])
def test_complex_is_refused_to_residents_and_other_departments(world: AppealsWorld, who: str) -> None:
    with clock.frozen(MONDAY):
        appeal = world.to_status(world.file(), Status.DISPATCHED)
    client = english_client(getattr(world, who))
    page = client.post(f"/appeals/{appeal.pk}/act/", {"action": "complex", "note": "想要更久"})
    api = client.post(
        f"/api/v1/appeals/{appeal.pk}/steps",
        json.dumps({"action": "complex", "note": "想要更久"}),
        content_type="application/json",
    )
    assert page.status_code in (403, 404)
    assert api.status_code in (403, 404)
    appeal.refresh_from_db()
    assert not appeal.is_complex
    assert not AppealEvent.objects.filter(appeal=appeal, action="complex").exists()
    if who == "resident":  # the requester sees the appeal, but no complex step on it
        assert b'data-step="complex"' not in client.get(f"/appeals/{appeal.pk}/").content


# --- the migration's backfill -------------------------------------------------------------------


def test_the_migration_backfills_stages_rounds_and_round_starts(world: AppealsWorld) -> None:
    import importlib

    from django.apps import apps as django_apps
    from django.db.models import F

    with clock.frozen(MONDAY):
        appeal = world.file()
    assert sla.sweep_escalations(now=_at(4, 9)) == 2  # the dispatch's reminder and 催办
    with clock.frozen(_at(4, 10)):
        world.to_status(appeal, Status.VERIFIED)
    reopened_at = _at(16, 10)
    with clock.frozen(reopened_at):
        callback.appeal_callback(
            actor=world.resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
        )
    assert sla.sweep_escalations(now=_at(16, 11, 30)) == 1  # the new round's signing reminder
    kept = _ladder(appeal)
    # As the rows were before the migration: no stage, no round, no round start (the unique constraint is
    # added after the backfill; here each row keeps apart by a round of its own until it is backfilled).
    Escalation.objects.update(stage="", round=F("id"))
    Appeal.objects.update(round_started_at=None, escalation_due_at=None)
    importlib.import_module("anju.appeals.migrations.0014_ladders_rounds_bases").backfill(django_apps, None)
    appeal.refresh_from_db()
    assert appeal.round_started_at == reopened_at
    assert _ladder(appeal) == kept == [("dispatch", 0, 1), ("dispatch", 0, 2), ("sign", 1, 1)]
    assert appeal.escalation_due_at is not None  # the next sweep looks at it again, and sets the next time
    assert sla.sweep_escalations(now=_at(16, 11, 31)) == 0
    appeal.refresh_from_db()
    assert appeal.escalation_due_at == _at(17, 12)  # the signing's 催办: the working day after 12:00
