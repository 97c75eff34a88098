"""The appeal's life from intake to callback, through the services."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from anju.appeals import services, sla
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.intake import services as intake
from anju.appeals.models import (
    Appeal,
    AppealEvent,
    AppealFollower,
    Callback,
    Channel,
    DailyRollup,
    Status,
)
from anju.appeals.rates.selectors import rates
from anju.audit.models import AuditEvent
from anju.core import crypto
from anju.inbox.models import Message, Outbox
from anju.testing import email_everyone
from anju.testing.appeals import AppealsWorld, follow, jpeg_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]


def test_full_loop_counts_in_three_rates(world: AppealsWorld) -> None:
    appeal = world.file(photos=[upload()])
    assert appeal.status == Status.RECEIVED
    assert appeal.dispatch_due
    assert appeal.feedback_due
    assert appeal.due_at == appeal.dispatch_due
    assert appeal.grid_id == world.tree.grid.pk
    world.to_status(appeal, Status.VERIFIED)
    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED_RESOLVED
    assert appeal.due_at is None
    assert appeal.escalation_due_at is None
    assert appeal.responded_on_time is True
    rows, total = rates(world.supervisor, group="department")
    assert total.counts["dispatched"] == 1
    assert total.counts["responded"] == 1
    assert total.counts["completed"] == 1
    assert total.counts["resolved"] == 1
    assert total.counts["ratings"] == 1
    assert total.counts["satisfied"] == 1
    assert [r.label for r in rows] == [world.tree.department.name]
    assert rows[0].response_rate == 100.0
    # Every step is on the public timeline with actor and time, and audited once.
    actions = list(AppealEvent.objects.filter(appeal=appeal).values_list("action", flat=True))
    assert actions == ["filed", "accept", "dispatch", "sign", "contact", "feedback", "verify", "callback"]
    assert AuditEvent.objects.filter(object_type="appeals.appeal", object_id=str(appeal.pk)).count() == 8


def test_unsatisfied_callback_reopens_to_same_department_and_counts_against_it(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    callback.appeal_callback(
        actor=world.resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.REOPENED
    assert appeal.department_id == world.tree.department.pk
    assert appeal.reopen_count == 1
    assert appeal.sign_due is not None
    assert appeal.due_at == appeal.sign_due
    _rows, total = rates(world.supervisor)
    assert total.counts["completed"] == 1
    assert total.counts["resolved"] == 0
    assert total.counts["ratings"] == 1
    assert total.counts["satisfied"] == 0
    assert total.counts["reopened"] == 1
    assert Message.objects.filter(recipient=world.liaison, kind="appeal.reopened").exists()
    # The department signs again and the loop goes on.
    handling.appeal_sign(actor=world.liaison, appeal=appeal)
    assert appeal.status == Status.SIGNED


def test_closed_unresolved_is_never_resolved(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    dispatch.appeal_close_unresolved(actor=world.worker, appeal=appeal, reason="联系不上")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED_UNRESOLVED
    _rows, total = rates(world.supervisor)
    assert total.counts["completed"] == 1
    assert total.counts["resolved"] == 0
    assert total.resolution_rate == 0.0


def test_satisfied_but_not_resolved_closes_unresolved(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=False, satisfaction=world.level("basic"))
    assert appeal.status == Status.CLOSED_UNRESOLVED
    _rows, total = rates(world.supervisor)
    assert (total.counts["resolved"], total.counts["completed"]) == (0, 1)
    assert (total.counts["satisfied"], total.counts["ratings"]) == (1, 1)


def test_on_behalf_intake_records_who_how_and_consent(world: AppealsWorld) -> None:
    with pytest.raises(ValidationError) as err:
        world.file(actor=world.volunteer, channel=Channel.VISIT, contact_name="赵大妈", contact_mobile="17000000099")
    assert "consent" in err.value.message_dict
    appeal = world.file(
        actor=world.volunteer,
        channel=Channel.VISIT,
        contact_name="赵大妈",
        contact_mobile="17000000099",
        consent=True,
    )
    assert appeal.filed_by == world.volunteer
    assert appeal.requester is None
    assert appeal.consent is True
    assert appeal.channel == Channel.VISIT
    assert crypto.decrypt(appeal.contact_mobile_sealed) == "17000000099"
    assert "17000000099" not in appeal.contact_mobile_sealed
    assert appeal.contact_mobile_index == crypto.blind_index("17000000099", purpose="appeal-mobile")


def test_bad_intake_changes_nothing(world: AppealsWorld) -> None:
    before = Appeal.objects.count()
    with pytest.raises(ValidationError) as err:
        world.file(category=None)
    assert "category" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        world.file(location=world.tree.other_grid)
    assert "location" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        world.file(photos=[upload("x.jpg", b"not an image at all")])
    assert "photos" in err.value.message_dict
    big = upload("big.jpg", b"\xff" * 10)
    big.size = 50 * 1024 * 1024
    with pytest.raises(ValidationError) as err:
        world.file(photos=[big])
    assert "larger" in err.value.message_dict["photos"][0]
    with pytest.raises(ValidationError):
        world.file(photos=[upload() for _ in range(10)])
    assert Appeal.objects.count() == before


def test_photos_are_reencoded_without_exif(world: AppealsWorld) -> None:
    data = jpeg_bytes(exif_gps=True)
    assert Image.open(io.BytesIO(data)).getexif()  # the original carries EXIF
    appeal = world.file(photos=[upload("gps.jpg", data)])
    photo = appeal.photos.get()
    with photo.image.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_anonymous_flood_is_rate_limited_per_address(world: AppealsWorld, rf: object) -> None:
    from django.test import RequestFactory

    request = RequestFactory().post("/appeals/report/", REMOTE_ADDR="10.1.2.3")
    for _ in range(5):
        world.file(
            actor=None, channel=Channel.ANONYMOUS, contact_name="王", contact_mobile="17000000055", request=request
        )
    count = Appeal.objects.count()
    with pytest.raises(intake.RateLimited):
        world.file(
            actor=None, channel=Channel.ANONYMOUS, contact_name="王", contact_mobile="17000000055", request=request
        )
    assert Appeal.objects.count() == count
    other = RequestFactory().post("/appeals/report/", REMOTE_ADDR="10.9.9.9")
    world.file(actor=None, channel=Channel.ANONYMOUS, contact_name="王", contact_mobile="17000000055", request=other)


def test_duplicate_suggestion_and_followers_are_called_back(world: AppealsWorld) -> None:
    first = world.file()
    assert intake.similar_open(world.category, world.tree.building) == [first]
    follow(world.other_resident, first)
    assert AppealFollower.objects.filter(appeal=first, user=world.other_resident).exists()
    world.to_status(first, Status.VERIFIED)
    assert Message.objects.filter(recipient=world.other_resident, kind="appeal.callback").exists()
    # The follower answers too: counted, but the appeal waits for the requester.
    callback.appeal_callback(
        actor=world.other_resident, appeal=first, resolved=True, satisfaction=world.level("satisfied")
    )
    first.refresh_from_db()
    assert first.status == Status.VERIFIED
    assert Callback.objects.filter(appeal=first, is_follower=True).count() == 1


def test_mark_duplicate_makes_requester_a_follower(world: AppealsWorld) -> None:
    first = world.file()
    second = world.file(actor=world.other_resident)
    dispatch.appeal_mark_duplicate(actor=world.worker, appeal=second, original=first)
    assert second.status == Status.DUPLICATE
    assert AppealFollower.objects.filter(appeal=first, user=world.other_resident).exists()


def test_out_of_order_is_a_conflict_and_changes_nothing(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    events = AppealEvent.objects.count()
    with pytest.raises(services.InvalidTransition) as err:
        handling.appeal_sign(actor=world.liaison, appeal=appeal)
    assert "Closed" in err.value.message
    assert AppealEvent.objects.count() == events
    assert Appeal.objects.get(pk=appeal.pk).status == Status.CLOSED_RESOLVED


def test_callback_on_someone_elses_appeal_is_refused(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    with pytest.raises(PermissionDenied):
        callback.appeal_callback(
            actor=world.other_resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied")
        )


def test_split_dispatch_lead_and_assisting(world: AppealsWorld) -> None:
    appeal = world.file()
    other = world.other_liaison.grants.get().department
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department, assisting=[other])
    assert list(appeal.assists.values_list("department_id", flat=True)) == [other.pk]
    assert Message.objects.filter(recipient=world.other_liaison, kind="appeal.dispatched").exists()
    # Assisting liaison sees it; the lead signs.
    from anju.appeals.selectors import appeals_visible, department_queue

    assert appeal in department_queue(world.other_liaison)
    assert appeal in appeals_visible(world.other_liaison)


def test_an_assisting_department_records_progress_but_does_not_lead(world: AppealsWorld) -> None:
    """首接负责: only the lead department's liaison signs, contacts, waits, gives feedback or refers back; an
    assisting department adds progress. A refused step changes nothing."""
    appeal = world.file()
    other = world.other_liaison.grants.get().department
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department, assisting=[other])
    helper = world.other_liaison
    with pytest.raises(PermissionDenied):
        dispatch.appeal_refer(actor=helper, appeal=appeal, reason="不归我们管")
    with pytest.raises(PermissionDenied):
        handling.appeal_sign(actor=helper, appeal=appeal)
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED
    handling.appeal_sign(actor=world.liaison, appeal=appeal)
    for step in (
        lambda: handling.appeal_contact(actor=helper, appeal=appeal, note="电话"),
        lambda: handling.appeal_wait(actor=helper, appeal=appeal, reason="等配件"),
        lambda: handling.appeal_feedback(actor=helper, appeal=appeal, note="已修复"),
    ):
        with pytest.raises(PermissionDenied):
            step()
    appeal.refresh_from_db()
    assert appeal.status == Status.SIGNED
    assert appeal.contacted_at is None
    handling.appeal_contact(actor=world.liaison, appeal=appeal, note="电话联系")
    handling.appeal_progress(actor=helper, appeal=appeal, note="供电所已到场配合")
    assert appeal.events.filter(action="progress", actor=helper).exists()


def test_default_department_from_catalogue_route(world: AppealsWorld) -> None:
    appeal = world.file()
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=None)
    assert appeal.department_id == world.tree.department.pk


def test_refer_back_and_redispatch(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    dispatch.appeal_refer(actor=world.liaison, appeal=appeal, reason="不归我们管")
    assert appeal.status == Status.REFERRED
    other = world.other_liaison.grants.get().department
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=other)
    assert appeal.status == Status.DISPATCHED
    assert appeal.department_id == other.pk
    rows, total = rates(world.supervisor)
    # The appeal is in the response rate once, against the department that kept it (docs/rates.md); the
    # wrong first dispatch is the community's routing, not the referring department's response.
    assert total.counts["dispatched"] == 1
    assert {r.key: r.counts["dispatched"] for r in rows} == {other.pk: 1}
    assert (total.counts["dispatches"], total.counts["misrouted"], total.routing_rate) == (2, 1, 50.0)


def test_waiting_needs_a_reason_and_internal_notes_are_hidden(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.SIGNED)
    with pytest.raises(ValidationError):
        handling.appeal_wait(actor=world.liaison, appeal=appeal, reason="")
    handling.appeal_wait(actor=world.liaison, appeal=appeal, reason="等待配件")
    assert appeal.status == Status.WAITING
    assert appeal.waiting_reason == "等待配件"
    services.appeal_note(actor=world.worker, appeal=appeal, note="内部：物业拖延")
    from anju.appeals.selectors import timeline

    assert "内部：物业拖延" in [e.note for e in timeline(appeal, internal=True)]
    assert "内部：物业拖延" not in [e.note for e in timeline(appeal, internal=False)]


def test_notifications_write_outbox_in_same_transaction(world: AppealsWorld, settings: Any, monkeypatch: Any) -> None:
    from anju.inbox.services import notice_settings_update

    email_everyone(settings, monkeypatch)
    # Staff get new appeals in the daily digest by default; this worker wants them by email at once.
    notice_settings_update(actor=world.worker, modes={("appeal.filed", "email"): "now"})
    appeal = world.file()
    message = Message.objects.get(recipient=world.worker, kind="appeal.filed")
    assert message.params["number"] == appeal.number
    assert message.url == f"/appeals/{appeal.pk}/"
    assert message.digest_channels == "app"
    # Every message has its email row, but those its reader takes in the daily digest.
    assert Outbox.objects.count() == Message.objects.exclude(digest_channels__contains="email").count() > 0
    assert Outbox.objects.filter(message=message).exists()
    assert set(Outbox.objects.values_list("state", flat=True)) == {Outbox.State.PENDING}


def test_rollup_matches_live_rows(world: AppealsWorld) -> None:
    for _ in range(3):
        world.to_status(world.file(), Status.DISPATCHED)
    assert sum(DailyRollup.objects.values_list("dispatched", flat=True)) == 3
    assert sum(DailyRollup.objects.values_list("received", flat=True)) == 3


def test_deadlines_follow_preset(world: AppealsWorld) -> None:
    appeal = world.file()
    assert appeal.dispatch_due - appeal.received_at == sla.dt.timedelta(hours=24)
    urgent = world.file(urgency="emergency")
    assert urgent.dispatch_due - urgent.received_at == sla.dt.timedelta(hours=1)
    assert urgent.feedback_due - urgent.received_at == sla.dt.timedelta(hours=2)


def test_a_note_longer_than_a_page_is_refused_and_changes_nothing(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.SIGNED)
    events = appeal.events.count()
    with pytest.raises(ValidationError, match="2000"):
        services.appeal_note(actor=world.worker, appeal=appeal, note="很长" * 1500)
    with pytest.raises(ValidationError, match="2000"):
        handling.appeal_progress(actor=world.liaison, appeal=appeal, note="x" * 2001)
    assert appeal.events.count() == events
    services.appeal_note(actor=world.worker, appeal=appeal, note="x" * 2000)
    assert appeal.events.count() == events + 1


def test_the_worker_queue_puts_what_is_due_first_and_undated_last(world: AppealsWorld) -> None:
    from anju.appeals.models import Appeal
    from anju.appeals.selectors import worker_queue

    undated = world.to_status(world.file(), Status.VERIFIED)  # waiting for the callback: no deadline running
    Appeal.objects.filter(pk=undated.pk).update(due_at=None)
    overdue = world.to_status(world.file(), Status.SIGNED)
    queue = list(worker_queue(world.worker))
    assert queue.index(overdue) < queue.index(undated)
    assert queue[-1] == undated
