"""The coordinators' duty set-up through the API: shift templates (create, change, retire), volunteers (list,
enrol), desk attendance, points rules and the yearly expiry setting, the store's items and a redemption at the
counter. Typed input; a refusal is a 422 naming the field in the caller's language and writes nothing; another
community's objects answer 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.duty import points
from anju.duty.models import Assignment, HoursEntry, PointsRule, PointsSettings, ShiftTemplate, StoreItem, Volunteer
from anju.testing import make_user
from anju.testing.duty import make_duty_world, shift_on

pytestmark = [pytest.mark.django_db]


def _api(user: Any, language: str = "en") -> Client:
    token = account_services.token_create(actor=user, user=user, name="test", days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["anju_language"] = language
    return client


def _json(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(f"/api/v1{path}", body or {}, content_type="application/json")


def test_templates_created_changed_retired_with_clear_refusals() -> None:
    w = make_duty_world(1)
    staff, staff_zh = _api(w.worker), _api(w.worker, "zh-hans")
    station = w.station.station.pk
    r = _json(
        staff, "post", f"/duty/stations/{station}/templates", {"name": "下午", "starts": "14:00", "ends": "17:30"}
    )
    assert r.status_code == 201, r.content
    made = r.json()
    assert (made["seats"], made["is_active"], made["ends"]) == (1, True, "17:30:00")
    before = ShiftTemplate.objects.count()
    r = _json(staff, "post", f"/duty/stations/{station}/templates", {"name": "坏", "starts": "14:00", "ends": "13:00"})
    assert r.status_code == 422
    assert "The shift must end after it starts." in str(r.json())
    r = _json(
        staff_zh, "post", f"/duty/stations/{station}/templates", {"name": "坏", "starts": "14:00", "ends": "13:00"}
    )
    assert r.status_code == 422
    assert "The shift must end after it starts." not in str(r.json())
    assert ShiftTemplate.objects.count() == before
    r = _json(
        staff,
        "put",
        f"/duty/templates/{made['id']}",
        {"name": "下午班", "starts": "14:30", "ends": "17:30", "seats": 3},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["name"], r.json()["seats"]) == ("下午班", 3)
    assert _json(staff, "post", f"/duty/templates/{made['id']}/retire").json()["is_active"] is False
    r = _json(staff, "post", f"/duty/templates/{made['id']}/retire")
    assert r.status_code == 422
    assert "This template is retired." in str(r.json())
    listed = _json(staff, "get", f"/duty/stations/{station}/templates").json()
    assert {t["name"] for t in listed} == {"共享客厅 上午", "下午班"}
    assert AuditEvent.objects.filter(action__in=["duty.template_changed", "duty.template_retired"]).count() == 2
    # a volunteer may not manage: refused; another community's template: 404
    volunteer = _api(w.volunteers[0].user)
    assert _json(volunteer, "get", f"/duty/stations/{station}/templates").status_code in (403, 404)
    other = make_duty_world(1, prefix="别处")
    assert _json(staff, "post", f"/duty/templates/{other.morning.pk}/retire").status_code == 404


def test_enrol_volunteers_and_mark_attendance_at_the_desk() -> None:
    w = make_duty_world(1)
    staff = _api(w.worker)
    station = w.station.station.pk
    newcomer = make_user(Role.VOLUNTEER, w.tree.area, display_name="新志愿者")
    r = _json(staff, "post", f"/duty/stations/{station}/volunteers", {"user_id": newcomer.pk, "monthly_max": 40})
    assert r.status_code == 422
    assert "Enter at most 31 shifts a month." in str(r.json())
    r = _json(staff, "post", f"/duty/stations/{station}/volunteers", {"user_id": newcomer.pk, "kind": "resident"})
    assert r.status_code == 201, r.content
    assert r.json()["kind"] == "resident"
    r = _json(staff, "post", f"/duty/stations/{station}/volunteers", {"user_id": newcomer.pk})
    assert r.status_code == 422  # already a volunteer
    assert Volunteer.objects.filter(user=newcomer).count() == 1
    names = {v["name"] for v in _json(staff, "get", f"/duty/stations/{station}/volunteers").json()}
    assert "新志愿者" in names
    # attendance: yesterday's shift, 09:05 to 11:35 → 2.5 hours within 09:00–12:00
    shift = shift_on(w, timezone.localdate() - timedelta(days=1))
    a = Assignment.objects.create(  # a seat held yesterday (no service puts anyone on a past shift)
        community_id=shift.community_id,
        shift=shift,
        seat=1,
        volunteer=w.volunteers[0],
        status="confirmed",
        source="signup",
    )
    arrive = shift.starts_at + timedelta(minutes=5)
    leave = shift.starts_at + timedelta(hours=2, minutes=35)
    bad = _json(
        staff,
        "post",
        f"/duty/assignments/{a.pk}/attendance",
        {"checked_in_at": leave.isoformat(), "checked_out_at": arrive.isoformat()},
    )
    assert bad.status_code == 422
    assert "The volunteer must leave after arriving." in str(bad.json())
    r = _json(
        staff,
        "post",
        f"/duty/assignments/{a.pk}/attendance",
        {"checked_in_at": arrive.isoformat(), "checked_out_at": leave.isoformat()},
    )
    assert r.status_code == 200, r.content
    assert HoursEntry.objects.get(source="duty", source_ref=a.pk).hours == 2.5
    assert _json(
        _api(w.volunteers[0].user),
        "post",
        f"/duty/assignments/{a.pk}/attendance",
        {"checked_in_at": arrive.isoformat()},
    ).status_code in (403, 404)


def test_points_rules_settings_store_items_and_a_redemption() -> None:
    w = make_duty_world(1)
    staff = _api(w.worker)
    station = w.station.station.pk
    r = _json(staff, "put", f"/duty/stations/{station}/points-rules", {"basis": "per_suggestion", "points": 30})
    assert r.status_code == 200, r.content
    r = _json(staff, "put", f"/duty/stations/{station}/points-rules", {"basis": "per_hour", "points": 5000})
    assert r.status_code == 422
    assert "Enter between 0 and 1000 points." in str(r.json())
    assert list(PointsRule.objects.values_list("basis", "points")) == [("per_suggestion", 30)]
    assert _json(staff, "get", f"/duty/stations/{station}/points-rules").json() == [
        {"basis": "per_suggestion", "points": 30}
    ]
    assert _json(staff, "get", f"/duty/stations/{station}/points-settings").json() == {"expire_yearly": False}
    r = _json(staff, "put", f"/duty/stations/{station}/points-settings", {"expire_yearly": True})
    assert r.json() == {"expire_yearly": True}
    assert PointsSettings.objects.get().expire_yearly
    r = _json(staff, "post", f"/duty/stations/{station}/store-items", {"name": "洗衣液", "cost": 0, "stock": 3})
    assert r.status_code == 422
    assert "Enter a price between 1 and 100000 points." in str(r.json())
    r = _json(staff, "post", f"/duty/stations/{station}/store-items", {"name": "洗衣液", "cost": 20, "stock": 3})
    assert r.status_code == 201
    item = r.json()
    r = _json(staff, "put", f"/duty/store-items/{item['id']}", {"name": "洗衣液", "cost": 20, "stock": -1})
    assert r.status_code == 422
    r = _json(
        staff,
        "put",
        f"/duty/store-items/{item['id']}",
        {"name": "洗衣液 2kg", "cost": 25, "stock": 5, "is_active": True},
    )
    assert (r.json()["name"], r.json()["stock"]) == ("洗衣液 2kg", 5)
    volunteer = w.volunteers[0]
    seen = _json(_api(volunteer.user), "get", f"/duty/stations/{station}/store-items").json()
    assert [i["name"] for i in seen] == ["洗衣液 2kg"]
    points.points_award(actor=None, volunteer=volunteer, source="suggestion", ref=1, points=30)
    r = _json(staff, "post", "/duty/redemptions", {"code": volunteer.code, "item_id": item["id"]})
    assert (r.status_code, r.json()["balance"]) == (201, 5)
    r = _json(staff, "post", "/duty/redemptions", {"code": volunteer.code, "item_id": item["id"]})
    assert r.status_code == 422
    assert StoreItem.objects.get(pk=item["id"]).stock == 4
    other = make_duty_world(1, prefix="别处")
    assert _json(staff, "get", f"/duty/stations/{other.station.station.pk}/points-rules").status_code == 404
