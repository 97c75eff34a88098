"""The organiser's pages: create (one-off or series, with poster and place), edit, cancel; the poster in the
list, the detail page and the API."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from anju.accounts import services as account_services
from anju.activities import services
from anju.activities.models import Activity, Registration, Session
from anju.audit.models import AuditEvent
from anju.core.text import near_date
from anju.spaces.models import Booking
from anju.testing import english_client
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def jpeg_with_exif(size: tuple[int, int] = (1200, 800)) -> bytes:
    img = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "LocatorSoft"  # Software
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(name: str = "poster.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_exif(), content_type="image/jpeg")


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _form(activity_world: ActivityWorld, **over: Any) -> dict[str, Any]:
    start = (timezone.localtime() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    data = {
        "community": activity_world.tree.community.pk,
        "title": "老年课堂：书法",
        "description": "每周二上午",
        "category": "class",
        "target_tags": [activity_world.tags["老人"].pk],
        "space": activity_world.station.kitchen.pk,
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=1, minutes=30)),
        "repeat": "weekly",
        "times": 8,
        "capacity": 12,
        "registration_opens_at": _local(timezone.now() - timedelta(hours=1)),
        "registration_closes_at": _local(start - timedelta(hours=2)),
        "household_limit": 2,
        "offer_hours": 12,
    }
    return data | over


def test_create_page_makes_a_weekly_series_booking_the_space_with_a_clean_poster(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    worker = english_client(activity_world.users["worker"])
    assert worker.get("/activities/new/").status_code == 200
    response = worker.post("/activities/new/", _form(activity_world) | {"poster": upload()})
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get(title="老年课堂：书法")
    sessions = list(activity.sessions.order_by("starts_at"))
    assert len(sessions) == 8
    assert {(b.starts_at - a.starts_at).days for a, b in itertools.pairwise(sessions)} == {7}
    assert all(s.booking is not None and s.booking.space_id == activity_world.station.kitchen.pk for s in sessions)
    assert [t.name for t in activity.target_tags.all()] == ["老人"]
    assert (activity.household_limit, activity.offer_hours, activity.capacity) == (2, 12, 12)
    # The poster went through the shared pipeline: a JPEG, EXIF (and the GPS position) gone.
    with activity.poster.open("rb") as f:
        stored = f.read()
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert not img.getexif()
    assert b"SecretCam" not in stored
    assert (activity.poster_width, activity.poster_height) == (1200, 800)
    # Shown on the list and the detail page, served to residents who may see the activity.
    resident = english_client(activity_world.users["resident"])
    poster_url = f"/activities/{activity.pk}/poster/"
    assert poster_url in resident.get("/activities/").content.decode()
    assert poster_url in resident.get(f"/activities/{activity.pk}/").content.decode()
    served = resident.get(poster_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == stored  # type: ignore[attr-defined]
    assert english_client(activity_world.users["other_worker"]).get(poster_url).status_code == 404


def test_create_page_one_off_without_place_and_the_taken_space_is_a_clear_form_error(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    worker = english_client(activity_world.users["worker"])
    response = worker.post("/activities/new/", _form(activity_world, repeat="", times=1, space="", title="平安宣传"))
    assert response.status_code == 302
    assert Activity.objects.get(title="平安宣传").sessions.count() == 1
    assert worker.post("/activities/new/", _form(activity_world)).status_code == 302
    bookings, activities, audits = Booking.objects.count(), Activity.objects.count(), AuditEvent.objects.count()
    taken = worker.post("/activities/new/", _form(activity_world, title="包饺子", repeat="", times=1))
    assert taken.status_code == 422
    assert f"{activity_world.station.kitchen.name} is already booked at" in taken.content.decode()
    assert (Booking.objects.count(), Activity.objects.count(), AuditEvent.objects.count()) == (
        bookings,
        activities,
        audits,
    )


def test_a_file_that_is_not_an_image_or_too_large_is_refused_and_nothing_is_made(
    activity_world: ActivityWorld, client_for: Callable[..., Client], settings: Any
) -> None:
    worker = english_client(activity_world.users["worker"])
    fake = SimpleUploadedFile("poster.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = worker.post("/activities/new/", _form(activity_world) | {"poster": fake})
    assert response.status_code == 422
    assert "poster.jpg is not a photo (JPEG, PNG, WebP or GIF)." in response.content.decode()
    assert not Activity.objects.exists()
    assert not Booking.objects.exists()
    settings.ANJU_POSTER_MAX_BYTES = 1024
    response = worker.post("/activities/new/", _form(activity_world) | {"poster": upload()})
    assert response.status_code == 422
    assert "is larger than" in response.content.decode()
    assert not Activity.objects.exists()


def test_edit_page_changes_details_refuses_capacity_below_registrations_and_promotes_on_raise(
    activity_world: ActivityWorld, client_for: Callable[..., Client], monkeypatch: Any
) -> None:
    sent: list[tuple[str, list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        "anju.activities.notices.send",
        lambda *, kind, recipients, community, params, activity_id=None: (
            sent.append((kind, sorted(recipients), params)) or 1
        ),
    )
    activity = make_activity(activity_world, capacity=2, target_tags=[], weeks=2)
    one = first_session(activity)
    regs = [
        services.registration_create(actor=u, session=one)
        for u in (activity_world.users["resident"], activity_world.users["young"], activity_world.users["volunteer"])
    ]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted"]
    worker = english_client(activity_world.users["worker"])
    page = worker.get(f"/activities/{activity.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "target_tags"}
    data["registration_opens_at"] = _local(activity.registration_opens_at)
    data["registration_closes_at"] = _local(activity.registration_closes_at)
    audits = AuditEvent.objects.count()
    refused = worker.post(f"/activities/{activity.pk}/edit/", data | {"capacity": 1, "title": "改名"})
    assert refused.status_code == 422
    assert "2 places are already taken" in refused.content.decode()
    activity.refresh_from_db()
    assert (activity.capacity, activity.title) == (2, "老年课堂：智能手机入门")
    assert set(Session.objects.filter(activity=activity).values_list("capacity", flat=True)) == {2}
    assert AuditEvent.objects.count() == audits
    saved = worker.post(
        f"/activities/{activity.pk}/edit/", data | {"capacity": 3, "title": "老年课堂：手机支付", "poster": upload()}
    )
    assert saved.status_code == 302
    activity.refresh_from_db()
    assert (activity.capacity, activity.title) == (3, "老年课堂：手机支付")
    assert activity.poster
    one.refresh_from_db()
    assert (one.capacity, one.taken) == (3, 3)
    assert Registration.objects.get(pk=regs[2].pk).status == "confirmed"  # promoted from the waiting list
    assert sent == [("activities.promoted", [activity_world.users["volunteer"].pk], sent[0][2])]
    assert sent[0][2]["activity"] == "老年课堂：手机支付"
    event = AuditEvent.objects.filter(action="activity.changed").latest("pk")
    assert event.data["changed"]["capacity"] == [2, 3]
    assert event.data["changed"]["title"] == ["老年课堂：智能手机入门", "老年课堂：手机支付"]
    assert event.data["changed"]["poster"] == [None, activity.poster.name]
    # Removing the poster.
    assert (
        worker.post(f"/activities/{activity.pk}/edit/", data | {"capacity": 3, "remove_poster": "on"}).status_code
        == 302
    )
    activity.refresh_from_db()
    assert not activity.poster
    # A resident may not edit.
    assert english_client(activity_world.users["resident"]).get(f"/activities/{activity.pk}/edit/").status_code == 403


def test_organiser_cancels_a_session_and_the_activity_with_a_reason(
    activity_world: ActivityWorld, client_for: Callable[..., Client], monkeypatch: Any
) -> None:
    sent: list[tuple[str, list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        "anju.activities.notices.send",
        lambda *, kind, recipients, community, params, activity_id=None: (
            sent.append((kind, sorted(recipients), params)) or 1
        ),
    )
    activity = make_activity(activity_world, weeks=3, target_tags=[])
    one, two, three = list(activity.sessions.order_by("starts_at"))
    reg = services.registration_create(actor=activity_world.users["resident"], session=one)
    services.registration_create(actor=activity_world.users["young"], session=two)
    worker = english_client(activity_world.users["worker"])
    # A reason is required; nothing changes without one.
    response = worker.post(f"/activities/sessions/{one.pk}/cancel/", {"reason": " "}, follow=True)
    assert "Say why the session is cancelled" in response.content.decode()
    one.refresh_from_db()
    assert one.status == "open"
    assert not sent
    ask = worker.post(f"/activities/sessions/{one.pk}/cancel/", {"reason": "场地维修"})  # asked first
    assert "This cannot be undone." in ask.content.decode()
    one.refresh_from_db()
    assert one.status == "open"
    response = worker.post(
        f"/activities/sessions/{one.pk}/cancel/", {"reason": "场地维修", "confirmed": "1"}, follow=True
    )
    assert "The session is cancelled" in response.content.decode()
    one.refresh_from_db()
    reg.refresh_from_db()
    assert (one.status, one.cancel_reason, one.taken) == ("cancelled", "场地维修", 0)
    assert (reg.status, reg.cancel_reason) == ("cancelled", "场地维修")
    assert Booking.objects.get(pk=one.booking_id).status == "cancelled"
    assert sent == [("activities.session_cancelled", [activity_world.users["resident"].pk], sent[0][2])]
    assert sent[0][2]["reason"] == "场地维修"
    # Registering for a cancelled session is refused clearly.
    resident = english_client(activity_world.users["resident"])
    response = resident.post(f"/activities/sessions/{one.pk}/register/", follow=True)
    assert "This session has been cancelled." in response.content.decode()
    # The whole activity.
    sent.clear()
    ask = worker.post(f"/activities/{activity.pk}/cancel/", {"reason": "天气原因"})
    assert "Cancel the whole activity?" in ask.content.decode()
    response = worker.post(f"/activities/{activity.pk}/cancel/", {"reason": "天气原因", "confirmed": "1"}, follow=True)
    assert "The activity is cancelled" in response.content.decode()
    activity.refresh_from_db()
    assert (activity.status, activity.cancel_reason) == ("cancelled", "天气原因")
    assert set(activity.sessions.values_list("status", flat=True)) == {"cancelled"}
    assert not Registration.objects.filter(session__activity=activity, status__in=Registration.LIVE).exists()
    assert Booking.objects.filter(pk__in=[two.booking_id, three.booking_id], status="cancelled").count() == 2
    assert sent == [("activities.activity_cancelled", [activity_world.users["young"].pk], sent[0][2])]
    assert AuditEvent.objects.filter(action="activity.cancelled").count() == 1
    assert AuditEvent.objects.filter(action="activity.session_cancelled").count() == 1
    page = resident.get(f"/activities/{activity.pk}/").content.decode()
    assert "This activity is cancelled: 天气原因" in page
    again = worker.post(f"/activities/{activity.pk}/cancel/", {"reason": "x"}, follow=True)
    assert "already cancelled" in again.content.decode()


def test_organiser_cancelling_a_registration_needs_a_reason_and_tells_the_participant(
    activity_world: ActivityWorld, client_for: Callable[..., Client], monkeypatch: Any
) -> None:
    sent: list[tuple[str, list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        "anju.activities.notices.send",
        lambda *, kind, recipients, community, params, activity_id=None: (
            sent.append((kind, sorted(recipients), params)) or 1
        ),
    )
    session = first_session(make_activity(activity_world, target_tags=[]))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    worker = english_client(activity_world.users["worker"])
    response = worker.post(f"/activities/registrations/{reg.pk}/cancel/", follow=True)
    assert "Say why the registration is cancelled" in response.content.decode()
    reg.refresh_from_db()
    assert reg.status == "confirmed"
    worker.post(f"/activities/registrations/{reg.pk}/cancel/", {"reason": "重复报名"})
    reg.refresh_from_db()
    assert reg.status == "cancelled"
    assert sent == [("activities.registration_cancelled", [activity_world.users["resident"].pk], sent[0][2])]
    assert sent[0][2]["reason"] == "重复报名"
    assert sent[0][2]["name"] == "张桂兰"


def test_api_patch_poster_upload_and_cancel(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, capacity=2, target_tags=[])
    session = first_session(activity)
    services.registration_create(actor=activity_world.users["resident"], session=session)
    services.registration_create(actor=activity_world.users["young"], session=session)
    token = account_services.token_create(actor=None, user=activity_world.users["worker"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api.cookies["anju_language"] = "en"
    low = api.patch(f"/api/v1/activities/{activity.pk}", {"capacity": 1}, content_type="application/json")
    assert low.status_code == 422
    assert "2 places are already taken" in str(low.json())
    session.refresh_from_db()
    assert session.capacity == 2
    ok = api.patch(
        f"/api/v1/activities/{activity.pk}",
        {"capacity": 5, "title": "新标题", "target_tag_ids": [activity_world.tags["老人"].pk]},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["capacity"], ok.json()["title"], ok.json()["target_tags"]) == (5, "新标题", ["老人"])
    assert ok.json()["poster_url"] is None
    bad = api.post(
        f"/api/v1/activities/{activity.pk}/poster",
        {"poster": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")},
    )
    assert bad.status_code == 422
    assert "x.png is not a photo" in str(bad.json())
    activity.refresh_from_db()
    assert not activity.poster
    good = api.post(f"/api/v1/activities/{activity.pk}/poster", {"poster": upload()})
    assert good.status_code == 200
    assert good.json()["poster_url"] == f"/activities/{activity.pk}/poster/"
    assert (good.json()["poster_width"], good.json()["poster_height"]) == (1200, 800)
    assert api.get(f"/api/v1/activities/{activity.pk}").json()["poster_url"] == good.json()["poster_url"]
    no_reason = api.post(f"/api/v1/activity-sessions/{session.pk}/cancel", {}, content_type="application/json")
    assert no_reason.status_code == 422
    cancelled = api.post(
        f"/api/v1/activity-sessions/{session.pk}/cancel", {"reason": "停电"}, content_type="application/json"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    whole = api.post(f"/api/v1/activities/{activity.pk}/cancel", {"reason": "停办"}, content_type="application/json")
    assert whole.status_code == 200
    assert whole.json()["status"] == "cancelled"
    resident_token = account_services.token_create(actor=None, user=activity_world.users["resident"], name="t", days=1)[
        1
    ]
    resident_api = Client(HTTP_AUTHORIZATION=f"Bearer {resident_token}")
    assert (
        resident_api.patch(f"/api/v1/activities/{activity.pk}", {}, content_type="application/json").status_code == 403
    )


def test_api_creates_a_series_from_a_recurrence(activity_world: ActivityWorld) -> None:
    token = account_services.token_create(actor=None, user=activity_world.users["worker"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    starts = (timezone.localtime() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    body = {
        "community_id": activity_world.tree.community.pk,
        "title": "亲子阅读",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "series": {"freq": "weekly", "interval": 2, "count": 4},
        "capacity": 10,
        "registration_opens_at": timezone.now().isoformat(),
        "registration_closes_at": (starts - timedelta(hours=1)).isoformat(),
    }
    made = api.post("/api/v1/activities", body, content_type="application/json")
    assert made.status_code == 201, made.content
    starts_list = [s["starts_at"] for s in made.json()["sessions"]]
    assert len(starts_list) == 4
    sessions = list(Session.objects.filter(activity_id=made.json()["id"]).order_by("starts_at"))
    assert sessions[1].starts_at - sessions[0].starts_at == timedelta(weeks=2)


def test_list_page_with_posters_has_a_constant_query_count(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    resident = english_client(activity_world.users["resident"])

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            page = resident.get("/activities/")
        assert page.status_code == 200
        return len(ctx.captured_queries)

    make_activity(activity_world, target_tags=[], space=None, poster=upload(), weeks=2)
    queries()  # the first request fills the shared session and user cache
    one = queries()
    for n in range(3):
        make_activity(
            activity_world,
            title=f"活动{n}",
            target_tags=[activity_world.tags["老人"]],
            space=None,
            poster=upload(),
            days=4 + n,
        )
    assert queries() == one
    assert resident.get("/activities/").content.decode().count('class="notice-thumb"') == 4


def test_no_walk_in_for_a_cancelled_session(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, target_tags=[]))
    session = services.session_cancel(actor=activity_world.users["worker"], session=session, reason="停电")
    with pytest.raises(ValidationError, match="This session has been cancelled"):
        services.walk_in_add(actor=activity_world.users["volunteer"], session=session, name="路人")
    assert not Registration.objects.filter(session=session).exists()


# --- the roster, sessions that are over, dates and the list ----------------------------------------------


def _end(session: Session) -> None:
    now = timezone.now()
    Session.objects.filter(pk=session.pk).update(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))


def test_roster_shows_who_checked_in_and_when(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, soon=True))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    services.registration_create(actor=activity_world.users["worker"], session=session, resident=activity_world.spouse)
    volunteer = activity_world.users["volunteer"]
    volunteer.display_name = "陈志愿"
    volunteer.save(update_fields=["display_name"])
    services.checkin_scan(actor=volunteer, session=session, code=reg.short_code)
    reg.refresh_from_db()
    page = (
        english_client(activity_world.users["worker"])
        .get(f"/activities/sessions/{session.pk}/roster/")
        .content.decode()
    )
    assert "<th>Checked in</th>" in page
    cells = page.split('<td class="checked-in nowrap">')[1:]
    assert len(cells) == 2
    checked = next(c for c in cells if "陈志愿" in c)
    assert timezone.localtime(reg.checked_in_at).strftime("%H:%M") in checked
    assert "by 陈志愿" in checked
    assert any(c.startswith("—") for c in cells)  # the other one has not come
    assert page.count('class="btn btn-danger btn-small"') == 2  # the session is still to come: cancel offered


def test_a_session_that_is_over_offers_no_cancel_and_the_service_refuses(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    _end(session)
    worker = english_client(activity_world.users["worker"])
    page = worker.get(f"/activities/sessions/{session.pk}/roster/").content.decode()
    assert f"/activities/registrations/{reg.pk}/cancel/" not in page
    assert "can no longer be cancelled" in page
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="session is over"):
        services.registration_cancel(actor=activity_world.users["worker"], registration=reg, reason="太晚了")
    with pytest.raises(ValidationError, match="session is over"):
        services.registration_cancel(actor=activity_world.users["resident"], registration=reg)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.CONFIRMED
    assert AuditEvent.objects.count() == before
    # The page's POST is refused the same way, with the message and no 500.
    response = worker.post(f"/activities/registrations/{reg.pk}/cancel/", {"reason": "太晚了"}, follow=True)
    assert response.status_code == 200
    assert "can no longer be cancelled" in response.content.decode()
    reg.refresh_from_db()
    assert reg.status == Registration.Status.CONFIRMED


def test_near_date_shows_the_year_only_outside_the_current_year() -> None:
    today = date(2026, 11, 27)
    assert near_date(date(2026, 7, 5), today=today) == "07-05"
    assert near_date(date(2027, 7, 5), today=today) == "2027-07-05"
    zone = timezone.get_current_timezone()
    assert near_date(datetime(2027, 7, 5, 9, 30, tzinfo=zone), "H:i", today=today) == "2027-07-05 09:30"
    # Local time decides: 2026-12-31 20:00 UTC is already 2027 in Shanghai.
    assert near_date(datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "H:i", today=today) == "2027-01-01 04:00"
    assert near_date(None) == ""


def test_activity_list_shows_the_year_of_next_years_sessions(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, days=400)
    session = first_session(activity)
    page = english_client(activity_world.users["resident"]).get("/activities/").content.decode()
    assert 'class="stack activity-list"' in page  # unindented list (app.css)
    assert timezone.localtime(session.starts_at).strftime("%Y-%m-%d") in page
