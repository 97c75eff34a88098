"""Regressions found in review: formula injection in the Excel exports, addresses shown to volunteers, a 500 on
huge helper hours, helper entries recorded twice, several audit rows for one cancellation, a hard-coded
Chinese word in an English page."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from anju.accounts import services as account_services
from anju.activities import attendance, services, volunteer_hours
from anju.activities.models import Helper
from anju.activities.testing import World, first_session, make_activity, make_world
from anju.appeals.exports import rates_xlsx
from anju.appeals.selectors import RateRow
from anju.audit.models import AuditEvent
from anju.core.excel import safe_cell, safe_row
from anju.people.importer import rows_to_xlsx
from anju.spaces.models import Booking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def en(client: Client) -> Client:
    client.cookies["anju_language"] = "en"
    return client


def api_for(user: Any) -> Client:
    token = account_services.token_create(actor=None, user=user, name="t", days=1)[1]
    return en(Client(HTTP_AUTHORIZATION=f"Bearer {token}"))


# --- 1. formula injection -------------------------------------------------------------------------------------


def test_safe_cell_quotes_what_would_start_a_formula() -> None:
    for bad in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(bad) == "'" + bad
    for fine in ("张桂兰", "", "a=b", "1单元", 3, 2.5, None, True):
        assert safe_cell(fine) == fine
    assert safe_cell(gettext_lazy("Total")) == "Total"
    assert safe_row(["=x", 1]) == ["'=x", 1]


def _cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def test_attendance_export_writes_names_and_tasks_as_text(world: World, client_for: Callable[..., Client]) -> None:
    activity = make_activity(world, target_tags=[], guardian_checkout=True, soon=True)
    session = first_session(activity)
    worker = world.users["worker"]
    walk_in = services.walk_in_add(actor=worker, session=session, name='=HYPERLINK("http://x.test","点我")')
    services.checkout(actor=worker, registration=walk_in, guardian="@SUM(1+1)")
    services.walk_in_add(actor=worker, session=session, name="+86 138")
    volunteer_hours.helper_record(
        actor=worker, activity=activity, session=session, user=world.users["volunteer"], hours="2", task="-2+3"
    )
    export = en(client_for(worker)).get(f"/activities/{activity.pk}/attendance/?format=xlsx")
    assert export.status_code == 200
    cells = _cells(export.content)
    assert not [c.value for c in cells if c.data_type == "f"]  # no formula anywhere
    values = {c.value for c in cells}
    assert {'\'=HYPERLINK("http://x.test","点我")', "'@SUM(1+1)", "'+86 138", "'-2+3"} <= values


def test_people_and_appeals_exports_quote_formulas_too() -> None:
    cells = _cells(rows_to_xlsx(["姓名", "住址"], iter([["\t=cmd|' /C calc'!A0", "=1+1"], ["张三", ""]])))
    assert not [c.value for c in cells if c.data_type == "f"]
    assert {"'\t=cmd|' /C calc'!A0", "'=1+1", "张三"} <= {c.value for c in cells}
    response = rates_xlsx([RateRow(key=1, label="=2+5")], RateRow(key=0, label=""), group="unit", start=None, end=None)
    cells = _cells(response.content)
    assert not [c.value for c in cells if c.data_type == "f"]
    assert "'=2+5" in {c.value for c in cells}


# --- 2. addresses are for the organisers ----------------------------------------------------------------------


def test_volunteers_see_attendance_counts_but_not_households(world: World, client_for: Callable[..., Client]) -> None:
    activity = make_activity(world, target_tags=[], soon=True)
    session = first_session(activity)
    worker, volunteer = world.users["worker"], world.users["volunteer"]
    reg = services.registration_create(actor=worker, session=session, resident=world.elder)
    services.checkin_tick(actor=volunteer, registration=reg)
    address = "Entrance 1 101"

    page = en(client_for(volunteer)).get(f"/activities/{activity.pk}/attendance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="attendance"' in html  # the counts per session
    assert 'id="attendance-households"' not in html
    assert address not in html
    assert "format=xlsx" not in html
    assert en(client_for(volunteer)).get(f"/activities/{activity.pk}/attendance/?format=xlsx").status_code == 404
    with pytest.raises(PermissionDenied):
        attendance.attendance_xlsx(actor=volunteer, activity=activity)
    assert not AuditEvent.objects.filter(action="activity.attendance_exported").exists()
    data = api_for(volunteer).get(f"/api/v1/activities/{activity.pk}/attendance").json()
    assert data["households"] is None
    assert data["total"]["checked_in"] == 1
    assert address not in json.dumps(data, ensure_ascii=False)

    html = en(client_for(worker)).get(f"/activities/{activity.pk}/attendance/").content.decode()
    assert 'id="attendance-households"' in html
    assert address in html
    assert en(client_for(worker)).get(f"/activities/{activity.pk}/attendance/?format=xlsx").status_code == 200
    data = api_for(worker).get(f"/api/v1/activities/{activity.pk}/attendance").json()
    assert [h["label"] for h in data["households"]] == [f"{world.tree.building.name} {address}"]


# --- 3. bounded hours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", ["1e30", "1E+400", 1e30, "-1e30", "NaN", "Infinity", "0.04", "24.1"])
def test_helper_hours_out_of_range_are_a_clear_error(world: World, hours: Any) -> None:
    activity = make_activity(world, target_tags=[])
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(
            actor=world.users["worker"],
            activity=activity,
            session=first_session(activity),
            user=world.users["volunteer"],
            hours=hours,
        )
    assert "hours" in caught.value.message_dict
    assert not Helper.objects.exists()


def test_whole_activity_hours_stay_within_what_a_row_holds(world: World) -> None:
    activity = make_activity(world, target_tags=[], weeks=45, space=None)  # 45 × 24 h > 999 h
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(
            actor=world.users["worker"], activity=activity, user=world.users["volunteer"], hours=1000
        )
    assert "At most 999 hours" in str(caught.value)
    made = volunteer_hours.helper_record(
        actor=world.users["worker"], activity=activity, user=world.users["volunteer"], hours=999
    )
    assert made.hours == Decimal("999.0")


@pytest.mark.parametrize("hours", ["1e30", 1e30, "-3", 0, "NaN"])
def test_api_refuses_huge_hours_with_422(world: World, hours: Any) -> None:
    activity = make_activity(world, target_tags=[])
    response = api_for(world.users["worker"]).post(
        f"/api/v1/activities/{activity.pk}/helpers",
        json.dumps({"user_id": world.users["volunteer"].pk, "hours": hours}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert not Helper.objects.exists()


# --- 4. one entry per person and session, by the database -------------------------------------------------------


@pytest.mark.parametrize("whole", [False, True])
@pytest.mark.parametrize("who", ["user", "resident"])
def test_database_refuses_a_second_entry(world: World, who: str, whole: bool) -> None:
    activity = make_activity(world, target_tags=[], weeks=2)
    session = None if whole else first_session(activity)
    person = {"user": world.users["volunteer"]} if who == "user" else {"resident": world.elder}
    fields = {"community": world.tree.community, "activity": activity, "session": session, "name": "x"}
    Helper.objects.create(**fields, **person, hours=1, recorded_by=world.users["worker"])
    # Another session, or another person, is fine.
    other = {"user": world.users["worker"]} if who == "user" else {"resident": world.spouse}
    Helper.objects.create(**fields, **other, hours=1, recorded_by=world.users["worker"])
    if whole:
        Helper.objects.create(
            **(fields | {"session": first_session(activity)}), **person, hours=1, recorded_by=world.users["worker"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Helper.objects.create(**fields, **person, hours=2, recorded_by=world.users["worker"])


@pytest.mark.parametrize("whole", [False, True])
def test_a_second_entry_recorded_at_the_same_moment_is_a_clear_error(
    world: World, monkeypatch: Any, whole: bool
) -> None:
    activity = make_activity(world, target_tags=[])
    session = None if whole else first_session(activity)
    kwargs = {
        "actor": world.users["worker"],
        "activity": activity,
        "session": session,
        "user": world.users["volunteer"],
    }
    volunteer_hours.helper_record(**kwargs, hours="2")
    audits = AuditEvent.objects.count()
    # The other request's check ran before this one's insert: the check sees nothing, the database decides.
    real_exists = QuerySet.exists
    raced: list[bool] = []

    def exists_after_race(self: QuerySet[Any]) -> bool:
        if self.model is Helper and not raced:
            raced.append(True)
            return False
        return real_exists(self)

    monkeypatch.setattr(QuerySet, "exists", exists_after_race)
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(**kwargs, hours="3")
    assert "already recorded here" in str(caught.value)
    assert raced
    assert Helper.objects.filter(activity=activity).count() == 1
    assert AuditEvent.objects.count() == audits


# --- 5. one audit row per cancellation --------------------------------------------------------------------------


def test_cancelling_an_activity_writes_one_audit_row(world: World) -> None:
    activity = make_activity(world, target_tags=[], weeks=3)
    sessions = list(activity.sessions.order_by("starts_at"))
    booking_ids = [s.booking_id for s in sessions]
    assert len(booking_ids) == 3
    assert None not in booking_ids
    before = AuditEvent.objects.count()
    services.activity_cancel(actor=world.users["worker"], activity=activity, reason="天气原因")
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["activity.cancelled"]
    assert sorted(events[0].data["bookings"]) == sorted(booking_ids)
    assert set(Booking.objects.filter(pk__in=booking_ids).values_list("status", flat=True)) == {"cancelled"}


def test_cancelling_a_session_writes_one_audit_row(world: World) -> None:
    activity = make_activity(world, target_tags=[], weeks=2)
    one, two = list(activity.sessions.order_by("starts_at"))
    before = AuditEvent.objects.count()
    services.session_cancel(actor=world.users["worker"], session=one, reason="场地维修")
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in events] == ["activity.session_cancelled"]
    assert events[0].data["bookings"] == [one.booking_id]
    assert Booking.objects.get(pk=one.booking_id).status == "cancelled"
    assert Booking.objects.get(pk=two.booking_id).status == "confirmed"


# --- 6. the entrance in the reader's language -------------------------------------------------------------------


def test_household_label_is_translated(world: World) -> None:
    activity = make_activity(world, target_tags=[])
    services.registration_create(actor=world.users["worker"], session=first_session(activity), resident=world.elder)
    labels = [r.label for r in attendance.attendance_report(activity).households]
    assert labels == [f"{world.tree.building.name} Entrance 1 101"]
