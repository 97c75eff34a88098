"""Meetings: planned with the space booked through spaces, invitations through the inbox, check-in by the QR
code, minutes and head count, decisions with an owner and a due date (refused without), tracked to done and
reminded once a day, and the summary on the notice board; the pages, scoped (another community's meeting: 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.bulletin.models import Notice
from anju.consult.meetings import services
from anju.consult.models import Attendance, Decision, Invitation, Meeting, Topic
from anju.consult.topics import services as topics
from anju.inbox.models import Message
from anju.spaces.models import Booking
from anju.testing.consult import make_consult_world
from anju.testing.spaces import days_ahead, local, make_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def cworld() -> object:
    world = make_consult_world(households=3)
    world.station = make_station(world.tree.community)  # type: ignore[attr-defined]
    return world


def _plan(world: object, **kw: object) -> Meeting:
    worker = world.users["worker"]  # type: ignore[attr-defined]
    topic = topics.topic_open(actor=worker, community=world.tree.community, title="议事亭加装顶棚")  # type: ignore[attr-defined]
    starts = local(days_ahead(3), 9)
    args = {
        "actor": worker,
        "community": world.tree.community,  # type: ignore[attr-defined]
        "kind": Meeting.Kind.BENCH,
        "title": "板凳会：议事亭顶棚",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=1),
        "space": world.station.kitchen,  # type: ignore[attr-defined]
        "topics": [topic],
    } | kw
    return services.meeting_plan(**args)  # type: ignore[arg-type]


def test_a_meeting_books_its_space_and_puts_topics_on_the_agenda(cworld: object) -> None:
    meeting = _plan(cworld)
    assert meeting.booking is not None
    assert meeting.booking.status in (Booking.Status.CONFIRMED, Booking.Status.PENDING)
    assert meeting.place == "共享厨房"
    topic = meeting.agenda.get().topic
    assert topic.status == Topic.Status.AGENDA
    # The space is taken now: a second meeting at the same time is refused, nothing written.
    with translation.override("en"), pytest.raises(ValidationError):
        _plan(cworld, title="另一个会")
    assert Meeting.objects.count() == 1


def test_invitations_checkin_minutes_decisions_and_summary(cworld: object) -> None:
    world = cworld
    worker = world.users["worker"]  # type: ignore[attr-defined]
    meeting = _plan(world)
    invited = services.meeting_invite(actor=worker, meeting=meeting)
    # Every resident account of the community: the three households' and one not yet linked to a household.
    assert invited == 4 == Invitation.objects.filter(meeting=meeting).count()
    assert Message.objects.filter(kind="consult.invitation").count() == 4
    assert services.meeting_invite(actor=worker, meeting=meeting) == 0  # each once

    resident = world.residents[0]  # type: ignore[attr-defined]
    during = meeting.starts_at + dt.timedelta(minutes=5)
    with translation.override("en"), pytest.raises(ValidationError, match="not this meeting's"):
        services.meeting_checkin(actor=resident, meeting=meeting, token="wrong", now=during)
    services.meeting_checkin(actor=resident, meeting=meeting, token=meeting.checkin_token, now=during)
    services.meeting_checkin(actor=resident, meeting=meeting, token=meeting.checkin_token, now=during)
    assert Attendance.objects.filter(meeting=meeting).count() == 1

    services.meeting_minutes(actor=worker, meeting=meeting, minutes="大家同意加装顶棚。", head_count=23)
    topic = meeting.agenda.get().topic
    before = AuditEvent.objects.count()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.decision_record(
            actor=worker, meeting=meeting, topic=topic, text="加装顶棚", owner=None, due_on=days_ahead(30)
        )
    assert "请指定负责落实的人" in str(caught.value)
    assert Decision.objects.count() == 0
    assert AuditEvent.objects.count() == before
    decision = services.decision_record(
        actor=worker, meeting=meeting, topic=topic, text="加装顶棚", owner=worker, due_on=days_ahead(5)
    )
    assert Message.objects.filter(kind="consult.decision_assigned", recipient=worker).count() == 1
    topic.refresh_from_db()
    assert topic.status == Topic.Status.DECIDED

    # Reminders: once a day, from two days before the due date, until done; safe to run twice.
    assert services.decisions_remind(now=timezone.now()) == 0
    near = local(days_ahead(4), 10)
    assert services.decisions_remind(now=near) == 1
    assert services.decisions_remind(now=near) == 0
    assert services.decisions_remind(now=near + dt.timedelta(days=1)) == 1
    assert Message.objects.filter(kind="consult.decision_due").count() == 2

    services.decision_done(actor=worker, decision=decision, note="顶棚已装好")
    assert services.decisions_remind(now=near + dt.timedelta(days=2)) == 0

    notice = services.summary_publish(actor=worker, meeting=meeting, summary="会议讨论了议事亭顶棚。")
    assert notice.community == world.tree.community  # type: ignore[attr-defined]
    assert "加装顶棚" in notice.body
    meeting.refresh_from_db()
    assert (meeting.status, meeting.notice_id) == (Meeting.Status.PUBLISHED, notice.pk)
    with translation.override("en"), pytest.raises(ValidationError, match="only once"):
        services.summary_publish(actor=worker, meeting=meeting, summary="再发一次")
    assert Notice.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CONSULT_SUMMARY_PUBLISHED).count() == 1


def test_bad_decisions_are_refused_in_the_users_language(cworld: object) -> None:
    world = cworld
    worker = world.users["worker"]  # type: ignore[attr-defined]
    meeting = _plan(world)
    topic = meeting.agenda.get().topic
    elsewhere = topics.topic_open(
        actor=world.users["other_worker"],  # type: ignore[attr-defined]
        community=world.tree.other_community,  # type: ignore[attr-defined]
        title="别处的议题",
    )
    with translation.override("en"):
        with pytest.raises(ValidationError, match="agenda"):
            services.decision_record(
                actor=worker, meeting=meeting, topic=elsewhere, text="x", owner=worker, due_on=days_ahead(9)
            )
        with pytest.raises(ValidationError, match="someone of this community"):
            services.decision_record(
                actor=worker,
                meeting=meeting,
                topic=topic,
                text="x",
                owner=world.users["other_worker"],  # type: ignore[attr-defined]
                due_on=days_ahead(9),
            )
        with pytest.raises(ValidationError, match="due date"):
            services.decision_record(actor=worker, meeting=meeting, topic=topic, text="x", owner=worker, due_on=None)
        with pytest.raises(ValidationError, match="between 0 and"):
            services.meeting_minutes(actor=worker, meeting=meeting, minutes="x", head_count=-1)
    assert Decision.objects.count() == 0


def test_pages_for_residents_and_staff_and_404_across_communities(cworld: object, client_for: object) -> None:
    world = cworld
    worker = world.users["worker"]  # type: ignore[attr-defined]
    meeting = _plan(world)
    topic = meeting.agenda.get().topic
    resident = client_for(world.residents[0])  # type: ignore[operator, attr-defined]
    page = resident.get("/consult/")
    assert page.status_code == 200
    assert meeting.title in page.content.decode()
    assert resident.get(f"/consult/topics/{topic.pk}/").status_code == 200
    assert resident.get(f"/consult/meetings/{meeting.pk}/").status_code == 200
    assert resident.get("/consult/desk/").status_code in (302, 403, 404)
    # Through the QR code's link: three days early, refused with the reason, nothing written.
    response = resident.post(
        f"/consult/meetings/{meeting.pk}/checkin/", {"code": meeting.checkin_token}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert not Attendance.objects.exists()
    staff = client_for(worker)  # type: ignore[operator]
    assert staff.get("/consult/desk/").status_code == 200
    assert staff.get(f"/consult/meetings/{meeting.pk}/").status_code == 200
    response = staff.post(f"/consult/meetings/{meeting.pk}/decisions/", {"topic": topic.pk, "text": "加装顶棚"})
    assert response.status_code == 302
    assert Decision.objects.count() == 0  # no owner, no due date: refused with a message, nothing written
    outsider = client_for(world.users["other_worker"])  # type: ignore[operator, attr-defined]
    assert outsider.get(f"/consult/meetings/{meeting.pk}/").status_code == 404
    assert outsider.get(f"/consult/topics/{topic.pk}/").status_code == 404
    assert outsider.post(f"/consult/meetings/{meeting.pk}/minutes/", {"minutes": "x"}).status_code == 404
    away = client_for(world.users["outsider"])  # type: ignore[operator, attr-defined]
    assert away.get(f"/consult/topics/{topic.pk}/").status_code == 404
