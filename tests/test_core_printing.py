"""What the station prints: the work order (办件单), the sign-in sheet (签到表), the day's room schedule and a
session's roster — A4 print pages, the same as a PDF, permissioned, masked, and audited as an export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from anju.access.roles import Role
from anju.activities import services as activity_services
from anju.audit.models import AuditEvent
from anju.spaces import services as space_services
from anju.testing import Tree, english_client, make_user
from anju.testing.activities import ActivityWorld, make_activity
from anju.testing.appeals import AppealsWorld
from anju.testing.spaces import Demo, days_ahead, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _printed(document: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="document.printed", data__document=document))


def _assert_print_page(html: str) -> None:
    assert "anju/print.css" in html  # the A4 print stylesheet, not the site shell
    assert 'class="nav' not in html
    assert "<thead>" in html  # repeated on every printed page (display: table-header-group)
    assert "format=pdf" in html


def test_work_order_prints_masked_and_is_audited(world: AppealsWorld) -> None:
    appeal = world.file(contact_name="王秀英", contact_mobile="13912345678")
    world.to_status(appeal, "dispatched")
    detail = english_client(world.worker).get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    url = reverse("appeals:print", args=[appeal.pk])
    assert url in detail
    page = english_client(world.worker).get(url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    _assert_print_page(html)
    assert appeal.number in html
    assert "Work order" in html
    assert "13912345678" not in html
    assert "139****5678" in html
    assert "王秀英" not in html
    assert len(_printed("work_order")) == 1
    # The department on it prints it too; a resident (even the requester) cannot.
    assert english_client(world.liaison).get(url).status_code == 200
    assert english_client(world.resident).get(url).status_code in (403, 404)
    assert english_client(world.other_resident).get(url).status_code in (403, 404)


def test_work_order_downloads_as_a_pdf(world: AppealsWorld) -> None:
    appeal = world.file()
    response = english_client(world.worker).get(reverse("appeals:print", args=[appeal.pk]), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert _printed("work_order")[0].data["format"] == "pdf"


def test_signin_sheet_and_roster_list_the_session(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[])
    session = activity.sessions.get()
    for who in ("resident", "young"):
        activity_services.registration_create(actor=activity_world.users[who], session=session)
    worker = english_client(activity_world.users["worker"])
    detail = worker.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    sheet_url = reverse("activities:signin_sheet", args=[session.pk])
    assert sheet_url in detail
    html = worker.get(sheet_url).content.decode()
    _assert_print_page(html)
    assert "Sign-in sheet" in html
    assert "张桂兰" in html
    assert "王小明" in html
    assert "Signature" in html
    assert _printed("signin_sheet")[0].data["people"] == 2
    roster_url = reverse("activities:roster_print", args=[session.pk])
    assert roster_url in worker.get(reverse("activities:roster", args=[session.pk])).content.decode()
    html = worker.get(roster_url).content.decode()
    _assert_print_page(html)
    assert "张桂兰" in html
    pdf = worker.get(sheet_url, {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    # A resident reaches neither; a worker of another community gets a 404.
    resident = english_client(activity_world.users["resident"])
    assert resident.get(sheet_url).status_code == 403
    assert resident.get(roster_url).status_code == 403
    assert english_client(activity_world.users["other_worker"]).get(sheet_url).status_code == 404


def test_day_schedule_prints_the_bookings_of_the_day(demo: Demo, tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_WORKER, tree.community, display_name="刘芳")
    day = days_ahead(2)
    space_services.booking_create(
        actor=staff, space=demo.kitchen, starts_at=local(day, 14), ends_at=local(day, 16), title="包饺子"
    )
    space_services.booking_create(
        actor=staff,
        space=demo.kitchen,
        starts_at=local(day + timedelta(days=1), 9),
        ends_at=local(day + timedelta(days=1), 11),
        title="明天的事",
    )
    client = english_client(staff)
    day_url = reverse("spaces:station_day", args=[demo.station.pk])
    url = reverse("spaces:station_day_print", args=[demo.station.pk])
    assert url in client.get(day_url, {"date": day.isoformat()}).content.decode()
    html = client.get(url, {"date": day.isoformat()}).content.decode()
    _assert_print_page(html)
    assert "包饺子" in html
    assert "刘芳" in html
    assert "明天的事" not in html
    assert _printed("room_schedule")[0].data["people"] == 1
    resident = english_client(make_user(Role.RESIDENT, tree.building))
    assert resident.get(url).status_code == 403
    assert url not in resident.get(day_url).content.decode()


def test_audit_page_reads_a_print_as_a_sentence(world: AppealsWorld) -> None:
    appeal = world.file()
    english_client(world.worker).get(reverse("appeals:print", args=[appeal.pk]), {"format": "pdf"})
    page = english_client(world.admin).get(reverse("audit:events"), {"action": "document.printed"})
    assert "Work order with 1 people on it. Downloaded as a PDF." in page.content.decode()
