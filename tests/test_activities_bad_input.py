"""The issue's bad input, through the pages and the API: each gets a clear message in the user's language,
no 500, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from anju.accounts import services as account_services
from anju.activities import services
from anju.activities.models import Activity, Registration, Session
from anju.audit.models import AuditEvent
from anju.testing import english_client
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def api_for(user: Any, language: str = "en") -> Client:
    token = account_services.token_create(actor=None, user=user, name="t", days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["anju_language"] = language
    return client


def snapshot() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        list(Registration.objects.order_by("pk").values_list("pk", "status", "checked_in_at")),
        list(Session.objects.order_by("pk").values_list("pk", "capacity", "taken", "status")),
        list(Activity.objects.order_by("pk").values_list("pk", "title", "capacity", "poster")),
    )


def test_registration_outside_the_window(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    now = timezone.now()
    early = first_session(make_activity(activity_world, target_tags=[], registration_opens_at=now + timedelta(hours=5)))
    late = first_session(
        make_activity(
            activity_world,
            target_tags=[],
            days=6,
            registration_opens_at=now - timedelta(days=2),
            registration_closes_at=now - timedelta(minutes=1),
        )
    )
    api, api_zh = api_for(activity_world.users["resident"]), api_for(activity_world.users["resident"], "zh-hans")
    before = snapshot()
    page = english_client(activity_world.users["resident"]).post(
        f"/activities/sessions/{early.pk}/register/", follow=True
    )
    opens = timezone.localtime(now + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")
    assert f"Registration opens at {opens}." in page.content.decode()
    answer = api.post(f"/api/v1/activity-sessions/{late.pk}/registrations", {}, content_type="application/json")
    assert answer.status_code == 422
    assert "Registration has closed." in str(answer.json())
    zh = api_zh.post(f"/api/v1/activity-sessions/{late.pk}/registrations", {}, content_type="application/json")
    assert zh.status_code == 422
    assert snapshot() == before


def test_over_the_household_limit(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    session = first_session(make_activity(activity_world, household_limit=1))
    me = english_client(activity_world.users["resident"])
    assert (
        me.post(f"/activities/sessions/{session.pk}/register/", {"resident": activity_world.elder.pk}).status_code
        == 302
    )
    before = snapshot()
    page = me.post(f"/activities/sessions/{session.pk}/register/", {"resident": activity_world.spouse.pk}, follow=True)
    assert "A household can register at most 1 people for this session." in page.content.decode()
    assert snapshot() == before


def test_target_group_only_on_behalf_with_a_reason(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    session = first_session(make_activity(activity_world))  # for 老人; 王小明 has no such tag
    api = api_for(activity_world.users["volunteer"])
    before = snapshot()
    page = english_client(activity_world.users["young"]).post(
        f"/activities/sessions/{session.pk}/register/", follow=True
    )
    assert "This activity is for another group of residents." in page.content.decode()
    url = f"/api/v1/activity-sessions/{session.pk}/registrations"
    answer = api.post(url, {"resident_id": activity_world.young.pk}, content_type="application/json")
    assert answer.status_code == 422
    assert "give a reason to register them" in str(answer.json())
    assert snapshot() == before
    made = api.post(
        url, {"resident_id": activity_world.young.pk, "reason": "子女代报，陪同父母"}, content_type="application/json"
    )
    assert made.status_code == 201
    reg = Registration.objects.get(pk=made.json()["id"])
    assert (reg.reason, reg.registered_by) == ("子女代报，陪同父母", activity_world.users["volunteer"])
    assert AuditEvent.objects.filter(action="activity.registered").latest("pk").data["reason"] == "子女代报，陪同父母"


def test_forged_and_expired_qr_codes(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    session = first_session(make_activity(activity_world, soon=True))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    token = services.checkin_token(reg)
    door = english_client(activity_world.users["volunteer"])
    url = f"/activities/sessions/{session.pk}/door/"
    before = snapshot()
    forged = token.replace(f'"r":{reg.pk}', f'"r":{reg.pk + 1}') if f'"r":{reg.pk}' in token else token[:-2] + "xx"
    for code in (forged, token[:-4] + "AAAA", "ABCDEFGH", "nonsense:code"):
        response = door.post(url, {"code": code})
        assert response.status_code == 422, code
        assert "We could not find this check-in code. Please check it and type it again." in response.content.decode()
    # The same code once its session is long over (the session's dates moved into the past).
    past = timezone.now() - timedelta(days=2)
    Session.objects.filter(pk=session.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    before = snapshot()
    response = door.post(url, {"code": token})
    assert response.status_code == 422
    closed = timezone.localtime(past + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert f"Check-in closed at {closed}: the session is over." in response.content.decode()
    assert snapshot() == before


def test_poster_that_is_not_an_image(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = make_activity(activity_world)
    worker = english_client(activity_world.users["worker"])
    form = worker.get(f"/activities/{activity.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "target_tags"}
    data["registration_opens_at"] = timezone.localtime(activity.registration_opens_at).strftime("%Y-%m-%dT%H:%M")
    data["registration_closes_at"] = timezone.localtime(activity.registration_closes_at).strftime("%Y-%m-%dT%H:%M")
    before = snapshot()
    for name, content in [
        ("poster.jpg", b"MZ\x90\x00 an executable"),
        ("poster.png", b"\x89PNG\r\n\x1a\n truncated"),
        ("poster.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ]:
        response = worker.post(
            f"/activities/{activity.pk}/edit/",
            data | {"title": "改了", "poster": SimpleUploadedFile(name, content, content_type="image/jpeg")},
        )
        assert response.status_code == 422, name
        assert f"{name} is not a photo (JPEG, PNG, WebP or GIF)." in response.content.decode()
    assert snapshot() == before


def test_capacity_below_current_registrations(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = make_activity(activity_world, capacity=3, target_tags=[])
    session = first_session(activity)
    for user in (activity_world.users["resident"], activity_world.users["young"]):
        services.registration_create(actor=user, session=session)
    api = api_for(activity_world.users["worker"])
    before = snapshot()
    answer = api.patch(
        f"/api/v1/activities/{activity.pk}", {"capacity": 1, "title": "改名"}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert "2 places are already taken" in str(answer.json())
    assert "Cancel registrations first." in str(answer.json())
    zero = api.patch(f"/api/v1/activities/{activity.pk}", {"capacity": 0}, content_type="application/json")
    assert zero.status_code == 422
    assert snapshot() == before


def test_api_times_without_a_time_zone_are_refused(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[])
    api = api_for(activity_world.users["worker"])
    before = snapshot()
    answer = api.patch(
        f"/api/v1/activities/{activity.pk}",
        {"registration_opens_at": "2026-01-01T08:00:00"},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "Give the time with its time zone" in str(answer.json())
    body = {
        "community_id": activity_world.tree.community.pk,
        "title": "无时区",
        "starts_at": "2027-01-05T09:00:00",
        "ends_at": "2027-01-05T10:00:00",
        "capacity": 5,
        "registration_opens_at": "2027-01-01T09:00:00",
        "registration_closes_at": "2027-01-04T09:00:00",
    }
    made = api.post("/api/v1/activities", body, content_type="application/json")
    assert made.status_code == 422
    assert "Give the time with its time zone" in str(made.json())
    assert snapshot() == before
