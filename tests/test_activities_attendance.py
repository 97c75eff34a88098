"""Attendance per activity, session, household and tag (page, API and Excel), with constant query counts;
volunteers who helped and their hours (page, API, audit)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.activities import attendance, services, volunteer_hours
from anju.activities.models import Activity, Helper
from anju.appeals.rates.exports import rates_xlsx
from anju.appeals.rates.selectors import RateRow
from anju.audit.models import AuditEvent
from anju.core.excel import safe_cell, safe_row
from anju.people import fakes
from anju.people import services as people_services
from anju.people.importing.template import rows_to_xlsx
from anju.testing import api_client, english_client, make_user
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _fill(activity_world: ActivityWorld, activity: Activity, extra_households: int = 0) -> None:
    """Session one: 张桂兰 and 李建国 (one household, 老人) and 王小明 (another, no tag) registered, the two
    elders checked in, one walk-in. Session two: 王小明 checked in. ``extra_households`` more households of
    one tagged resident each, registered and checked in on session two."""
    one, two = list(activity.sessions.order_by("starts_at"))
    worker, door = activity_world.users["worker"], activity_world.users["volunteer"]
    a = services.registration_create(actor=worker, session=one, resident=activity_world.elder)
    b = services.registration_create(actor=worker, session=one, resident=activity_world.spouse)
    services.registration_create(actor=worker, session=one, resident=activity_world.young)
    services.checkin_tick(actor=door, registration=a, now=one.starts_at)
    services.checkin_tick(actor=door, registration=b, now=one.starts_at)
    services.walk_in_add(actor=door, session=one, name="路人甲", now=one.starts_at)
    c = services.registration_create(actor=worker, session=two, resident=activity_world.young)
    services.checkin_tick(actor=door, registration=c, now=two.starts_at)
    for n in range(extra_households):
        household = people_services.household_create(
            actor=None, unit=activity_world.tree.building, entrance="2", door=f"{n + 1}01"
        )
        resident = people_services.resident_create(
            actor=None,
            household=household,
            name="居民" + "甲乙丙丁戊己庚辛"[n],
            relation="head",
            tags=[activity_world.tags["老人"]],
            id_number=fakes.id_number(date(1948, 3, n + 1), 40 + n, male=bool(n % 2)),
        )
        reg = services.registration_create(actor=worker, session=two, resident=resident)
        services.checkin_tick(actor=door, registration=reg, now=two.starts_at)


def test_report_per_session_household_and_tag(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, weeks=2, target_tags=[], capacity=10)
    _fill(activity_world, activity)
    report = attendance.attendance_report(activity)
    assert [(r.registered, r.checked_in, r.walk_ins) for r in report.sessions] == [(3, 3, 1), (1, 1, 0)]
    assert report.sessions[0].rate == "67%"  # two of the three registered came; the walk-in is extra
    households = {r.label: (r.registered, r.checked_in, r.walk_ins) for r in report.households}
    building = activity_world.tree.building.name  # by address; the entrance in the reader's language
    assert households[f"{building} Entrance 1 101"] == (2, 2, 0)
    assert households[f"{building} Entrance 1 102"] == (2, 1, 0)
    assert households["Without a household (walk-ins, accounts without a registry entry)"] == (0, 1, 1)
    tags = {r.label: (r.registered, r.checked_in) for r in report.tags}
    assert tags == {"Older resident": (2, 2), "No tag": (2, 2)}  # the walk-in and 王小明 have no tag
    assert (report.total.registered, report.total.checked_in, report.total.walk_ins) == (4, 4, 1)


def test_report_and_page_query_counts_do_not_grow_with_participants(
    activity_world: ActivityWorld, client_for: Callable[..., Client], django_assert_num_queries: Any
) -> None:
    small = make_activity(activity_world, weeks=2, target_tags=[], capacity=50)
    _fill(activity_world, small)
    big = make_activity(activity_world, weeks=2, target_tags=[], capacity=50, title="大活动", space=None)
    _fill(activity_world, big, extra_households=6)
    with django_assert_num_queries(6):
        attendance.attendance_report(small)
    with django_assert_num_queries(6):
        report = attendance.attendance_report(big)
    assert len(report.households) == 9
    worker = english_client(activity_world.users["worker"])
    worker.get(f"/activities/{small.pk}/attendance/")  # the first request fills the shared session and user cache
    counts = []
    for activity in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            page = worker.get(f"/activities/{activity.pk}/attendance/")
        assert page.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    html = page.content.decode()
    assert 'id="attendance-households"' in html
    assert 'id="attendance-tags"' in html
    assert "居民己" not in html  # households are shown by address, not by name
    assert "Entrance 2 601" in html


def test_excel_has_a_sheet_per_view(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = make_activity(activity_world, weeks=2, target_tags=[], capacity=10)
    _fill(activity_world, activity)
    volunteer_hours.helper_record(
        actor=activity_world.users["worker"], activity=activity, user=activity_world.users["volunteer"], hours="2.5"
    )
    worker = english_client(activity_world.users["worker"])
    export = worker.get(f"/activities/{activity.pk}/attendance/?format=xlsx")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["Participants", "Sessions", "Households", "Tags", "Volunteers"]
    sessions = list(book["Sessions"].iter_rows(values_only=True))
    assert sessions[0][:4] == ("Session", "Registered", "Checked in", "Walk-ins")
    assert [r[1:4] for r in sessions[1:]] == [(3, 3, 1), (1, 1, 0), (4, 4, 1)]
    assert sessions[-1][0] == "Total"
    tags = {r[0]: r[1:3] for r in book["Tags"].iter_rows(min_row=2, values_only=True)}
    assert tags["Older resident"] == (2, 2)
    households = [r[0] for r in book["Households"].iter_rows(min_row=2, values_only=True)]
    assert f"{activity_world.tree.building.name} Entrance 1 101" in households
    volunteers = list(book["Volunteers"].iter_rows(min_row=2, values_only=True))
    assert volunteers[0][0] == activity_world.users["volunteer"].display_name
    assert volunteers[0][2] == 2.5
    assert AuditEvent.objects.filter(action="activity.attendance_exported").count() == 1
    api_token = account_services.token_create(actor=None, user=activity_world.users["volunteer"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    data = api.get(f"/api/v1/activities/{activity.pk}/attendance").json()
    assert [(s["registered"], s["checked_in"]) for s in data["sessions"]] == [(3, 3), (1, 1)]
    assert data["total"]["walk_ins"] == 1
    assert Decimal(str(data["helper_hours"])) == Decimal("2.5")


def test_helpers_page_records_hours_with_audit_and_refuses_bad_input(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    activity = make_activity(activity_world, weeks=2, target_tags=[])
    one = activity.sessions.order_by("starts_at").first()
    assert one is not None
    worker = english_client(activity_world.users["worker"])
    page = worker.get(f"/activities/{activity.pk}/helpers/")
    assert page.status_code == 200
    volunteer = activity_world.users["volunteer"]
    made = worker.post(
        f"/activities/{activity.pk}/helpers/", {"user": volunteer.pk, "session": one.pk, "hours": "3", "task": "签到"}
    )
    assert made.status_code == 302
    helper = Helper.objects.get()
    assert (helper.user_id, helper.session_id, helper.hours, helper.recorded_by_id) == (
        volunteer.pk,
        one.pk,
        Decimal("3.0"),
        activity_world.users["worker"].pk,
    )
    assert AuditEvent.objects.filter(action="activity.helper_recorded").count() == 1
    # A resident from the registry, for the whole activity.
    assert (
        worker.post(
            f"/activities/{activity.pk}/helpers/", {"resident": activity_world.spouse.pk, "hours": "4"}
        ).status_code
        == 302
    )
    assert list(
        volunteer_hours.helpers_for_ledger(community=activity_world.tree.community).values_list("name", flat=True)
    ) == [
        volunteer.display_name,
        "李建国",
    ]
    outsider = make_user(Role.VOLUNTEER, activity_world.tree.other_community)
    audits = AuditEvent.objects.count()
    cases = [
        ({"user": volunteer.pk, "session": one.pk, "hours": "2"}, "already recorded here"),
        ({"user": volunteer.pk, "session": one.pk, "hours": "25"}, "At most 24"),
        ({"user": volunteer.pk, "hours": "0"}, "Enter the hours as a number"),
        ({"hours": "2"}, "Choose the volunteer"),
        ({"resident": 999999, "hours": "2"}, "No such resident."),
    ]
    for data, message in cases:
        response = worker.post(f"/activities/{activity.pk}/helpers/", data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), (data, message)
    assert volunteer_hours.helper_candidates(activity).filter(pk=outsider.pk).count() == 0
    assert Helper.objects.count() == 2
    assert AuditEvent.objects.count() == audits
    # Removal is audited too; residents and other communities get nothing.
    assert (
        english_client(activity_world.users["resident"]).get(f"/activities/{activity.pk}/helpers/").status_code == 403
    )
    assert (
        english_client(activity_world.users["other_worker"])
        .post(f"/activities/helpers/{helper.pk}/remove/")
        .status_code
        == 404
    )
    assert worker.post(f"/activities/helpers/{helper.pk}/remove/").status_code == 302
    assert Helper.objects.count() == 1
    assert AuditEvent.objects.filter(action="activity.helper_removed").count() == 1


def test_helpers_api(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[])
    token = account_services.token_create(actor=None, user=activity_world.users["worker"], name="t", days=1)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api.cookies["anju_language"] = "en"
    made = api.post(
        f"/api/v1/activities/{activity.pk}/helpers",
        {"user_id": activity_world.users["volunteer"].pk, "hours": "1.5", "task": "摄影"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["name"] == activity_world.users["volunteer"].display_name
    assert Decimal(str(made.json()["hours"])) == Decimal("1.5")
    listed = api.get(f"/api/v1/activities/{activity.pk}/helpers").json()
    assert [h["id"] for h in listed] == [made.json()["id"]]
    outsider = make_user(Role.VOLUNTEER, activity_world.tree.other_community)
    refused = api.post(
        f"/api/v1/activities/{activity.pk}/helpers",
        {"user_id": outsider.pk, "hours": "1"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "no volunteer or staff role" in str(refused.json())
    assert api.delete(f"/api/v1/activity-helpers/{made.json()['id']}").status_code == 204
    assert not Helper.objects.exists()


# --- exports quote what would start a formula; volunteers see counts, not households ---------------------


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


def test_attendance_export_writes_names_and_tasks_as_text(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    activity = make_activity(activity_world, target_tags=[], guardian_checkout=True, soon=True)
    session = first_session(activity)
    worker = activity_world.users["worker"]
    walk_in = services.walk_in_add(actor=worker, session=session, name='=HYPERLINK("http://x.test","点我")')
    services.checkout(actor=worker, registration=walk_in, guardian="@SUM(1+1)")
    services.walk_in_add(actor=worker, session=session, name="+86 138")
    volunteer_hours.helper_record(
        actor=worker, activity=activity, session=session, user=activity_world.users["volunteer"], hours="2", task="-2+3"
    )
    export = english_client(worker).get(f"/activities/{activity.pk}/attendance/?format=xlsx")
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


def test_volunteers_see_attendance_counts_but_not_households(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    activity = make_activity(activity_world, target_tags=[], soon=True)
    session = first_session(activity)
    worker, volunteer = activity_world.users["worker"], activity_world.users["volunteer"]
    reg = services.registration_create(actor=worker, session=session, resident=activity_world.elder)
    services.checkin_tick(actor=volunteer, registration=reg)
    address = "Entrance 1 101"

    page = english_client(volunteer).get(f"/activities/{activity.pk}/attendance/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="attendance"' in html  # the counts per session
    assert 'id="attendance-households"' not in html
    assert address not in html
    assert "format=xlsx" not in html
    assert english_client(volunteer).get(f"/activities/{activity.pk}/attendance/?format=xlsx").status_code == 404
    with pytest.raises(PermissionDenied):
        attendance.attendance_xlsx(actor=volunteer, activity=activity)
    assert not AuditEvent.objects.filter(action="activity.attendance_exported").exists()
    data = api_client(volunteer).get(f"/api/v1/activities/{activity.pk}/attendance").json()
    assert data["households"] is None
    assert data["total"]["checked_in"] == 1
    assert address not in json.dumps(data, ensure_ascii=False)

    html = english_client(worker).get(f"/activities/{activity.pk}/attendance/").content.decode()
    assert 'id="attendance-households"' in html
    assert address in html
    assert english_client(worker).get(f"/activities/{activity.pk}/attendance/?format=xlsx").status_code == 200
    data = api_client(worker).get(f"/api/v1/activities/{activity.pk}/attendance").json()
    assert [h["label"] for h in data["households"]] == [f"{activity_world.tree.building.name} {address}"]


def test_household_label_is_translated(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[])
    services.registration_create(
        actor=activity_world.users["worker"], session=first_session(activity), resident=activity_world.elder
    )
    labels = [r.label for r in attendance.attendance_report(activity).households]
    assert labels == [f"{activity_world.tree.building.name} Entrance 1 101"]
