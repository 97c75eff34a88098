"""Registration rules, the waiting list and its offers (driven by the worker), pages and API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.activities import services
from anju.activities.models import Activity, Registration
from anju.audit.models import AuditEvent
from anju.jobs.worker import run_once
from anju.spaces.models import Booking
from anju.spaces.services import SlotTaken
from anju.testing import make_user
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _resident(activity_world: ActivityWorld) -> Any:
    return make_user(Role.RESIDENT, activity_world.tree.building)


def test_activity_books_its_space_and_fails_cleanly_when_taken(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, weeks=8)
    sessions = list(activity.sessions.order_by("starts_at"))
    assert len(sessions) == 8
    assert sessions[1].starts_at - sessions[0].starts_at == timedelta(weeks=1)
    assert all(s.booking is not None and s.booking.space_id == activity_world.station.kitchen.pk for s in sessions)
    assert Booking.objects.filter(space=activity_world.station.kitchen).count() == 8
    before = Activity.objects.count()
    with pytest.raises(SlotTaken):
        make_activity(activity_world, title="包饺子")
    assert Activity.objects.count() == before  # nothing half-made


def test_confirm_then_waitlist_and_positions(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, capacity=2, target_tags=[]))
    regs = [services.registration_create(actor=_resident(activity_world), session=session) for _ in range(4)]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [services.waitlist_position(r) for r in regs] == [None, None, 1, 2]
    session.refresh_from_db()
    assert session.taken == 2


def test_freed_place_is_offered_and_unanswered_offer_passes_on_by_the_worker(
    activity_world: ActivityWorld, monkeypatch: Any
) -> None:
    session = first_session(make_activity(activity_world, capacity=1, target_tags=[], offer_hours=2))
    first, second, third = (
        services.registration_create(actor=_resident(activity_world), session=session) for _ in range(3)
    )
    services.registration_cancel(actor=first.user, registration=first, reason="生病")
    second.refresh_from_db()
    assert second.status == Registration.Status.OFFERED
    assert second.offer_expires_at is not None
    assert services.waitlist_position(Registration.objects.get(pk=third.pk)) == 1
    # The worker leaves an offer that is still open alone …
    run_once()
    second.refresh_from_db()
    assert second.status == Registration.Status.OFFERED
    # … and passes an expired one on to the next person.
    later = timezone.now() + timedelta(hours=2, minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the clock the services and the worker read
    run_once()
    run_once()  # twice: nothing more happens
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Registration.Status.CANCELLED
    assert third.status == Registration.Status.OFFERED
    assert AuditEvent.objects.filter(action="activity.offer_expired").count() == 1
    assert third.offer_expires_at == later + timedelta(hours=2)
    services.registration_accept(actor=third.user, registration=third)
    third.refresh_from_db()
    assert third.status == Registration.Status.CONFIRMED
    session.refresh_from_db()
    assert session.taken == 1


def test_household_member_and_limit(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, household_limit=1))
    me = activity_world.users["resident"]
    reg = services.registration_create(actor=me, session=session, resident=activity_world.spouse)
    assert reg.status == "confirmed"
    assert reg.household_id == activity_world.household.pk
    with pytest.raises(ValidationError, match="at most 1"):
        services.registration_create(actor=me, session=session)
    assert Registration.objects.filter(session=session).count() == 1


def test_bad_input_changes_nothing(activity_world: ActivityWorld) -> None:
    now = timezone.now()
    closed = first_session(
        make_activity(
            activity_world,
            registration_closes_at=now - timedelta(minutes=1),
            registration_opens_at=now - timedelta(days=2),
        )
    )
    with pytest.raises(ValidationError, match="Registration has closed"):
        services.registration_create(actor=activity_world.users["resident"], session=closed)
    # Not in the target group: refused for oneself, and on behalf only with a reason.
    later = first_session(make_activity(activity_world, days=5))
    with pytest.raises(ValidationError, match="another group"):
        services.registration_create(actor=activity_world.users["young"], session=later)
    with pytest.raises(ValidationError, match="give a reason"):
        services.registration_create(actor=activity_world.users["worker"], session=later, resident=activity_world.young)
    # Someone else's household: refused for a resident.
    with pytest.raises(ValidationError, match="only yourself"):
        services.registration_create(actor=activity_world.users["young"], session=later, resident=activity_world.elder)
    assert Registration.objects.count() == 0
    reg = services.registration_create(
        actor=activity_world.users["worker"], session=later, resident=activity_world.young, reason="陪同"
    )
    assert reg.reason == "陪同"
    assert reg.registered_by == activity_world.users["worker"]
    with pytest.raises(ValidationError, match="already registered"):
        services.registration_create(
            actor=activity_world.users["worker"], session=later, resident=activity_world.young, reason="x"
        )
    # A capacity below the places taken is refused.
    with pytest.raises(ValidationError, match="cannot be lower"):
        services.session_set_capacity(actor=activity_world.users["worker"], session=later, capacity=0)


def test_pages_list_register_and_cancel(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    def client_for_en(user: Any) -> Client:
        client = client_for(user)
        client.cookies["anju_language"] = "en"
        return client

    elderly = make_activity(activity_world)
    everyone = make_activity(activity_world, title="平安宣传进小区", target_tags=[], days=6, space=None)
    young = client_for_en(activity_world.users["young"])
    page = young.get("/activities/").content.decode()
    assert "平安宣传进小区" in page
    assert "老年课堂" not in page
    assert young.get(f"/activities/{elderly.pk}/").status_code == 200
    elder = client_for_en(activity_world.users["resident"])
    page = elder.get("/activities/").content.decode()
    assert "平安宣传进小区" in page
    assert "老年课堂" in page
    session = first_session(elderly)
    response = elder.post(
        f"/activities/sessions/{session.pk}/register/", {"resident": activity_world.elder.pk}, follow=True
    )
    assert "张桂兰 is registered." in response.content.decode()
    reg = Registration.objects.get(session=session)
    refused = young.post(
        f"/activities/sessions/{first_session(everyone).pk}/register/", {"resident": activity_world.elder.pk}
    )
    assert refused.status_code == 302
    assert young.post(f"/activities/registrations/{reg.pk}/cancel/").status_code == 404  # not theirs
    response = elder.post(f"/activities/registrations/{reg.pk}/cancel/", follow=True)
    assert "The registration was cancelled." in response.content.decode()
    reg.refresh_from_db()
    assert reg.status == "cancelled"
    worker = client_for(activity_world.users["worker"])
    assert "张桂兰" in worker.get(f"/activities/sessions/{session.pk}/roster/").content.decode()
    assert elder.get(f"/activities/sessions/{session.pk}/roster/").status_code == 403
    other = client_for(activity_world.users["other_worker"])
    assert other.get(f"/activities/{elderly.pk}/").status_code == 404


def test_api_list_detail_register_cancel(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world)
    token = account_services.token_create(actor=None, user=activity_world.users["resident"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api.cookies["anju_language"] = "en"
    listed = api.get("/api/v1/activities").json()
    assert [a["id"] for a in listed["results"]] == [activity.pk]
    detail = api.get(f"/api/v1/activities/{activity.pk}").json()
    assert detail["target_tags"] == ["老人"]
    assert len(detail["sessions"]) == 1
    session_id = detail["sessions"][0]["id"]
    made = api.post(f"/api/v1/activity-sessions/{session_id}/registrations", {}, content_type="application/json")
    assert made.status_code == 201
    assert made.json()["status"] == "confirmed"
    again = api.post(f"/api/v1/activity-sessions/{session_id}/registrations", {}, content_type="application/json")
    assert again.status_code == 422
    assert "already registered" in str(again.json()["error"])
    assert Registration.objects.filter(session_id=session_id).count() == 1
    assert api.get("/api/v1/registrations").json()["results"][0]["id"] == made.json()["id"]
    cancelled = api.post(f"/api/v1/registrations/{made.json()['id']}/cancel", {}, content_type="application/json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert api.get("/api/v1/activities/999999").status_code == 404


def test_api_organiser_creates_a_weekly_class_and_a_taken_space_answers_409(activity_world: ActivityWorld) -> None:
    token = account_services.token_create(actor=None, user=activity_world.users["worker"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api.cookies["anju_language"] = "en"
    starts = timezone.localtime() + timedelta(days=7)
    starts = starts.replace(hour=9, minute=0, second=0, microsecond=0)
    body = {
        "community_id": activity_world.tree.community.pk,
        "title": "老年课堂",
        "category": "class",
        "target_tag_ids": [activity_world.tags["老人"].pk],
        "space_id": activity_world.station.kitchen.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "weeks": 8,
        "capacity": 20,
        "registration_opens_at": timezone.now().isoformat(),
        "registration_closes_at": (starts - timedelta(hours=2)).isoformat(),
    }
    made = api.post("/api/v1/activities", body, content_type="application/json")
    assert made.status_code == 201
    assert len(made.json()["sessions"]) == 8
    again = api.post("/api/v1/activities", body | {"title": "重复"}, content_type="application/json")
    assert again.status_code == 409
    assert Activity.objects.count() == 1
    bad = api.post("/api/v1/activities", body | {"capacity": 0}, content_type="application/json")
    assert bad.status_code == 422
    resident_token = account_services.token_create(actor=None, user=activity_world.users["resident"], name="t", days=1)[
        1
    ]
    resident_api = Client(HTTP_AUTHORIZATION=f"Bearer {resident_token}")
    assert resident_api.post("/api/v1/activities", body, content_type="application/json").status_code == 403


# --- a cancellation writes one audit row -----------------------------------------------------------------


def test_cancelling_an_activity_writes_one_audit_row(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[], weeks=3)
    sessions = list(activity.sessions.order_by("starts_at"))
    booking_ids = [s.booking_id for s in sessions]
    assert len(booking_ids) == 3
    assert None not in booking_ids
    before = AuditEvent.objects.count()
    services.activity_cancel(actor=activity_world.users["worker"], activity=activity, reason="天气原因")
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["activity.cancelled"]
    assert sorted(events[0].data["bookings"]) == sorted(booking_ids)
    assert set(Booking.objects.filter(pk__in=booking_ids).values_list("status", flat=True)) == {"cancelled"}


def test_cancelling_a_session_writes_one_audit_row(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[], weeks=2)
    one, two = list(activity.sessions.order_by("starts_at"))
    before = AuditEvent.objects.count()
    services.session_cancel(actor=activity_world.users["worker"], session=one, reason="场地维修")
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["activity.session_cancelled"]
    assert events[0].data["bookings"] == [one.booking_id]
    assert Booking.objects.get(pk=one.booking_id).status == "cancelled"
    assert Booking.objects.get(pk=two.booking_id).status == "confirmed"
