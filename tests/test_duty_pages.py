"""The duty pages render for volunteers and staff; other volunteers' names are masked on the roster; a
volunteer signs up, asks for cover and another takes it through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from anju.duty import seats
from anju.duty.models import Assignment, Roster
from anju.testing.duty import make_duty_world, shift_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.cookies["anju_language"] = "en"
    c.force_login(user)
    return c


def test_pages_render_and_names_are_masked_for_volunteers() -> None:
    w = make_duty_world(3)
    shift = shift_on(w, timezone.localdate() + timedelta(days=3), seats=2)
    seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    week = f"?week={shift.day:%Y-%m-%d}"
    mine = _client(w.volunteers[1].user)
    page = mine.get("/duty/" + week).content.decode()
    assert w.volunteers[0].name not in page
    assert "Sign up" in page
    staff = _client(w.worker)
    assert w.volunteers[0].name in staff.get("/duty/" + week).content.decode()
    for url in ("/duty/mine/", "/duty/swaps/", "/duty/ledger/", "/duty/store/"):
        assert mine.get(url).status_code == 200, url
    for url in ("/duty/manage/", "/duty/manage/?door=1", f"/duty/shifts/{shift.pk}/", "/duty/ledger/?format=xlsx"):
        assert staff.get(url).status_code == 200, url
    assert mine.get("/duty/manage/").status_code == 403
    cert = _client(w.volunteers[0].user).get(f"/duty/volunteers/{w.volunteers[0].pk}/certificate/")
    assert cert.status_code == 200
    assert mine.get(f"/duty/volunteers/{w.volunteers[0].pk}/certificate/").status_code == 404


def test_sign_up_cover_and_take_through_the_pages() -> None:
    w = make_duty_world(3)
    shift = shift_on(w, timezone.localdate() + timedelta(days=3))
    first, second = _client(w.volunteers[0].user), _client(w.volunteers[1].user)
    assert first.post(f"/duty/shifts/{shift.pk}/claim/").status_code == 302
    a = Assignment.objects.get(shift=shift, volunteer=w.volunteers[0])
    first.post(f"/duty/assignments/{a.pk}/cover/", {"note": "出差"})
    swap = a.swap_requests.get()
    assert "出差" in second.get("/duty/swaps/").content.decode()
    second.post(f"/duty/swaps/{swap.pk}/take/")
    assert Assignment.objects.get(shift=shift, status__in=Assignment.HOLDING).volunteer == w.volunteers[1]
    assert "Handed over" in first.get("/duty/mine/").content.decode()


def test_staff_enrol_and_volunteers_set_their_availability() -> None:
    from anju.access.roles import Role
    from anju.testing import make_user

    w = make_duty_world(1)
    newcomer = make_user(Role.VOLUNTEER, w.tree.area, display_name="新来的志愿者")
    staff = _client(w.worker)
    page = staff.get(f"/duty/manage/?station={w.station.station.pk}").content.decode()
    assert "新来的志愿者" in page
    staff.post(
        f"/duty/manage/?station={w.station.station.pk}",
        {"what": "enrol", "user": newcomer.pk, "kind": "party_member", "monthly_max": 3},
    )
    volunteer = w.volunteers[0].__class__.objects.get(user=newcomer)
    assert volunteer.monthly_max == 3
    own = _client(newcomer)
    away = timezone.localdate() + timedelta(days=9)
    response = own.post(
        f"/duty/volunteers/{volunteer.pk}/availability/",
        {"weekdays": ["5", "6"], "earliest": "08:30", "monthly_max": "2", "away": f"{away:%Y-%m-%d}", "standby": "on"},
    )
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.weekdays == [5, 6]
    assert list(volunteer.blackouts.values_list("day", flat=True)) == [away]
    bad = own.post(f"/duty/volunteers/{volunteer.pk}/availability/", {"weekdays": ["9"], "monthly_max": "2"})
    assert "Choose weekdays from Monday to Sunday." in bad.content.decode()
    assert _client(w.volunteers[0].user).get(f"/duty/volunteers/{volunteer.pk}/availability/").status_code == 404


def test_api_generates_publishes_and_reads_the_week() -> None:
    w = make_duty_world(4)
    staff = _client(w.worker)
    month = timezone.localdate().replace(day=1) + timedelta(days=40)
    made = staff.post(
        f"/api/v1/duty/stations/{w.station.station.pk}/rosters", {"month": f"{month:%Y-%m-%d}"}, "application/json"
    )
    assert made.status_code == 201, made.content
    roster = made.json()
    assert roster["status"] == "draft"
    assert staff.post(f"/api/v1/duty/rosters/{roster['id']}/publish").json()["status"] == "published"
    week = _client(w.volunteers[1].user).get(
        f"/api/v1/duty/stations/{w.station.station.pk}/week?start={month.replace(day=8):%Y-%m-%d}"
    )
    assert week.status_code == 200
    names = {s["name"] for shift in week.json() for s in shift["seats"] if not s["mine"] and s["name"]}
    assert all("*" in n for n in names)  # other volunteers masked
    bad = staff.post(
        f"/api/v1/duty/stations/{w.station.station.pk}/rosters", {"month": "2001-01-01"}, "application/json"
    )
    assert bad.status_code == 422


def test_impossible_and_far_dates_are_ignored_or_refused_never_a_server_error() -> None:
    w = make_duty_world(2)
    volunteer = w.volunteers[0]
    mine = _client(volunteer.user)
    staff = _client(w.worker)
    cert = f"/duty/volunteers/{volunteer.pk}/certificate/"
    for url in (
        "/duty/?week=2024-02-30",
        "/duty/?week=9999-12-31",
        "/duty/?week=0001-01-01",
        "/duty/ledger/?month=2024-02-30",
        "/duty/ledger/?month=9999-12-31",
        cert + "?from=2024-02-31",
        cert + "?to=9999-12-31",
    ):
        assert mine.get(url).status_code == 200, url
    station = w.station.station.pk
    assert staff.get(f"/api/v1/duty/stations/{station}/week?start=9999-12-31").status_code == 422
    assert staff.get(f"/api/v1/duty/stations/{station}/week?start=2027-01-04").status_code == 200
    response = staff.post(f"/duty/manage/?station={station}", {"what": "generate", "month": "9999-12"})
    assert response.status_code in (200, 302)
    assert not Roster.objects.filter(station=w.station.station, month__year=9999).exists()
    assert staff.post(f"/duty/store/?station={station}", {"item": "abc", "code": "x"}).status_code in (200, 302)


def test_the_door_code_is_issued_by_a_post_with_an_audit_row_never_by_a_get() -> None:
    from anju.audit.models import AuditEvent
    from anju.duty.models import DoorCode

    w = make_duty_world(1)
    staff = _client(w.worker)
    station = w.station.station
    assert staff.get(f"/duty/manage/?station={station.pk}&door=1").status_code == 200
    assert not DoorCode.objects.exists()
    r = staff.post("/duty/manage/", {"station": station.pk, "what": "door"})
    assert r.status_code == 302
    assert "door=1" in r["Location"]
    code = DoorCode.objects.get(station=station)
    assert (
        code.token in staff.get(r["Location"]).content.decode() or "<svg" in staff.get(r["Location"]).content.decode()
    )
    staff.post("/duty/manage/", {"station": station.pk, "what": "door"})  # again: the same code, no second row
    assert DoorCode.objects.get(station=station).token == code.token
    issued = AuditEvent.objects.get(action="duty.door_code_issued")
    assert issued.community_id == w.tree.community.pk


def test_templates_are_edited_and_retired_from_the_page() -> None:
    from anju.duty.models import ShiftTemplate

    w = make_duty_world(1)
    staff = _client(w.worker)
    station = w.station.station
    base = {"station": station.pk, "template": w.morning.pk}
    staff.post(
        "/duty/manage/",
        {**base, "what": "template_edit", "name": "早班", "starts": "08:30", "ends": "08:00", "seats": "2"},
    )
    w.morning.refresh_from_db()
    assert w.morning.name == "共享客厅 上午"  # ends before it starts: refused, nothing written
    page = staff.post(
        "/duty/manage/",
        {**base, "what": "template_edit", "name": "早班", "starts": "08:30", "ends": "11:30", "seats": "2"},
        follow=True,
    ).content.decode()
    assert "Saved." in page
    w.morning.refresh_from_db()
    assert (w.morning.name, w.morning.seats, f"{w.morning.starts:%H:%M}") == ("早班", 2, "08:30")
    staff.post("/duty/manage/", {**base, "what": "template_retire"})
    assert not ShiftTemplate.objects.get(pk=w.morning.pk).is_active
