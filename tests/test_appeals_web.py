"""Appeals over HTTP: a test per transition that the wrong role is refused and the right one succeeds,
pages, bad input, the JSON API, whistles and the three-rate page."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from anju.appeals import services
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.models import Appeal, AppealEvent, Channel, Status, Summons
from anju.appeals.whistles import services as whistles
from anju.inbox.models import Message
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld, jpeg_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]


# (step, status to start from, who may, who may not, extra POST data, status after)
MATRIX = [
    ("accept", Status.RECEIVED, "worker", ["resident", "liaison", "supervisor"], {}, Status.ACCEPTED),
    (
        "reject",
        Status.RECEIVED,
        "worker",
        ["liaison", "resident"],
        {"note": "不属于受理范围", "confirmed": "1"},
        Status.REJECTED,
    ),
    ("dispatch", Status.ACCEPTED, "gridworker", ["liaison", "resident", "volunteer"], {}, Status.DISPATCHED),
    ("refer", Status.DISPATCHED, "liaison", ["worker", "other_liaison"], {"note": "不归我们"}, Status.REFERRED),
    ("sign", Status.DISPATCHED, "liaison", ["worker", "other_liaison", "resident"], {}, Status.SIGNED),
    ("contact", Status.SIGNED, "liaison", ["worker", "resident"], {"note": "电话联系"}, Status.IN_PROGRESS),
    ("progress", Status.SIGNED, "liaison", ["worker"], {"note": "已到现场"}, Status.IN_PROGRESS),
    ("wait", Status.SIGNED, "liaison", ["resident", "worker"], {"note": "等待配件"}, Status.WAITING),
    ("feedback", Status.IN_PROGRESS, "liaison", ["worker", "other_liaison"], {"note": "已更换灯泡"}, Status.HANDLED),
    ("verify", Status.HANDLED, "worker", ["liaison", "resident"], {}, Status.VERIFIED),
    ("return", Status.HANDLED, "worker", ["liaison"], {"note": "还是不亮"}, Status.IN_PROGRESS),
    (
        "close",
        Status.VERIFIED,
        "worker",
        ["liaison", "resident"],
        {"note": "联系不上", "confirmed": "1"},
        Status.CLOSED_UNRESOLVED,
    ),
    (
        "callback",
        Status.VERIFIED,
        "resident",
        ["other_resident", "liaison"],
        {"resolved": "yes", "satisfaction": "satisfied"},
        Status.CLOSED_RESOLVED,
    ),
]


@pytest.mark.parametrize(("step", "start", "right", "wrong", "data", "after"), MATRIX, ids=[m[0] for m in MATRIX])
def test_transition_refuses_wrong_role_and_accepts_right_one(
    world: AppealsWorld, step: str, start: str, right: str, wrong: list[str], data: dict[str, str], after: str
) -> None:
    appeal = world.to_status(world.file(), start)
    url = f"/appeals/{appeal.pk}/act/"
    for name in wrong:
        response = english_client(getattr(world, name)).post(url, {"action": step, **data})
        assert response.status_code in (403, 404), (name, response.status_code)
        assert Appeal.objects.get(pk=appeal.pk).status == start, name
    response = english_client(getattr(world, right)).post(url, {"action": step, **data})
    assert response.status_code == 302, response.content[:300]
    assert Appeal.objects.get(pk=appeal.pk).status == after
    event = AppealEvent.objects.filter(appeal=appeal).last()
    assert event is not None
    assert event.action == step
    assert event.actor == getattr(world, right)


def test_duplicate_step(world: AppealsWorld) -> None:
    first = world.file()
    second = world.file(actor=world.other_resident)
    url = f"/appeals/{second.pk}/act/"
    assert english_client(world.resident).post(url, {"action": "duplicate", "original": first.pk}).status_code == 404
    worker = english_client(world.worker)
    ask = worker.post(url, {"action": "duplicate", "original": first.pk})  # irreversible: asked first
    assert ask.status_code == 200
    assert f"as a duplicate of {first.number}?" in ask.content.decode()
    assert Appeal.objects.get(pk=second.pk).status == Status.RECEIVED
    assert worker.post(url, {"action": "duplicate", "original": first.pk, "confirmed": "1"}).status_code == 302
    assert Appeal.objects.get(pk=second.pk).status == Status.DUPLICATE


def test_signing_a_closed_appeal_is_a_clear_409(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    dispatch.appeal_close_unresolved(actor=world.worker, appeal=appeal, reason="x")
    response = english_client(world.liaison).post(f"/appeals/{appeal.pk}/act/", {"action": "sign"})
    assert response.status_code == 409
    assert "cannot be signed for now" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == Status.CLOSED_UNRESOLVED


def test_callback_on_someone_elses_appeal_is_404(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    c = english_client(world.other_resident)
    assert c.get(f"/appeals/{appeal.pk}/").status_code == 404
    response = c.post(
        f"/appeals/{appeal.pk}/act/", {"action": "callback", "resolved": "yes", "satisfaction": "satisfied"}
    )
    assert response.status_code == 404
    assert Appeal.objects.get(pk=appeal.pk).status == Status.VERIFIED


def test_missing_reason_is_422_and_changes_nothing(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.SIGNED)
    response = english_client(world.liaison).post(f"/appeals/{appeal.pk}/act/", {"action": "wait", "note": ""})
    assert response.status_code == 422
    assert Appeal.objects.get(pk=appeal.pk).status == Status.SIGNED


def test_resident_files_on_the_page_with_photo(world: AppealsWorld) -> None:
    c = english_client(world.resident)
    assert c.get("/appeals/new/").status_code == 200
    response = c.post(
        "/appeals/new/",
        {
            "category": world.category.pk,
            "location": world.tree.building.pk,
            "description": "3单元门口路灯不亮",
            "urgency": "general",
            "photos": [upload()],
        },
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.requester == world.resident
    assert appeal.photos.count() == 1
    detail = c.get(response["Location"])
    assert "3单元门口路灯不亮" in detail.content.decode()
    photo = appeal.photos.get()
    served = c.get(f"/appeals/{appeal.pk}/photos/{photo.pk}/")
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"  # a JPEG; reading it to the end closes the file
    assert english_client(world.other_resident).get(f"/appeals/{appeal.pk}/photos/{photo.pk}/").status_code == 404


def test_page_suggests_duplicates_then_files_anyway(world: AppealsWorld) -> None:
    world.file()
    c = english_client(world.other_resident)
    data = {
        "category": world.category.pk,
        "location": world.tree.building.pk,
        "description": "路灯坏了",
        "urgency": "general",
    }
    response = c.post("/appeals/new/", data)
    assert response.status_code == 200
    assert "我也遇到" in response.content.decode()
    assert Appeal.objects.count() == 1
    response = c.post("/appeals/new/", {**data, "file_anyway": "1"})
    assert response.status_code == 302
    assert Appeal.objects.count() == 2


def test_page_refuses_location_outside_community_and_bad_photo(world: AppealsWorld) -> None:
    c = english_client(world.resident)
    base = {"category": world.category.pk, "description": "x", "urgency": "general"}
    response = c.post("/appeals/new/", {**base, "location": world.tree.other_grid.pk})
    assert response.status_code == 422
    response = c.post(
        "/appeals/new/", {**base, "location": world.tree.building.pk, "photos": [upload("a.jpg", b"%PDF-1.4")]}
    )
    assert response.status_code == 422
    assert "not a photo" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_anonymous_report_page_is_rate_limited(world: AppealsWorld) -> None:
    c = Client(REMOTE_ADDR="10.0.0.7")
    c.cookies["anju_language"] = "en"
    data = {
        "community": world.tree.community.pk,
        "category": world.category.pk,
        "address": "1栋门口",
        "description": "井盖丢失",
        "urgency": "urgent",
        "contact_name": "李先生",
        "contact_mobile": "17000000066",
    }
    for _ in range(5):
        assert c.post("/appeals/report/", data).status_code == 200
    response = c.post("/appeals/report/", data)
    assert response.status_code == 429
    assert Appeal.objects.count() == 5
    # The worker sees the contact masked.
    appeal = Appeal.objects.first()
    assert appeal is not None
    page = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "170****0066" in page
    assert "17000000066" not in page
    assert "李*生" in page


def test_queues_sort_due_first_and_show_remaining(world: AppealsWorld) -> None:
    general = world.file()
    emergency = world.file(urgency="emergency")
    page = english_client(world.worker).get("/appeals/?view=worker").content.decode()
    assert page.index(emergency.number) < page.index(general.number)
    assert "left" in page
    world.to_status(general, Status.DISPATCHED)
    dept_page = english_client(world.liaison).get("/appeals/?view=department").content.decode()
    assert general.number in dept_page
    assert emergency.number not in dept_page


def test_resident_sees_public_timeline_only(world: AppealsWorld) -> None:
    appeal = world.file()
    services.appeal_note(actor=world.worker, appeal=appeal, note="内部备注ABC")
    assert "内部备注ABC" not in english_client(world.resident).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "内部备注ABC" in english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()


def test_whistle_checkin_and_evaluation(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    url = f"/appeals/{appeal.pk}/whistle/"
    data = {"departments": [world.tree.department.pk], "minutes": "30"}
    assert english_client(world.resident).post(url, data).status_code in (403, 404)
    assert english_client(world.worker).post(url, data).status_code == 302
    summons = Summons.objects.get()
    checkin = f"/appeals/{appeal.pk}/summons/{summons.pk}/checkin/"
    assert english_client(world.other_liaison).post(checkin).status_code == 404
    assert english_client(world.liaison).post(checkin).status_code == 302
    summons.refresh_from_db()
    assert summons.arrived_at is not None
    assert summons.arrival_method == Summons.Arrival.SELF_DECLARED
    assert not summons.on_time  # pressed from anywhere: recorded, but not an on-time arrival
    confirm = f"/appeals/{appeal.pk}/summons/{summons.pk}/confirm/"
    assert english_client(world.liaison).post(confirm).status_code in (403, 404)
    assert english_client(world.worker).post(confirm).status_code == 302
    summons.refresh_from_db()
    assert summons.arrival_method == Summons.Arrival.CONFIRMED
    assert summons.on_time
    rate = f"/appeals/{appeal.pk}/summons/{summons.pk}/rate/"
    assert english_client(world.liaison).post(rate, {"rating": "5"}).status_code in (403, 404)
    assert english_client(world.worker).post(rate, {"rating": "4"}).status_code == 302
    summons.refresh_from_db()
    assert summons.rating == 4
    page = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert "1/1" in page  # one summoned, one on time


def test_qr_token_checkin(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department])
    token = whistles.checkin_token(whistle.summonses.get())
    assert english_client(world.other_liaison).get(f"/appeals/checkin/{token}/").status_code == 404
    assert english_client(world.liaison).get("/appeals/checkin/forged-token/").status_code == 404
    c = english_client(world.liaison)
    assert c.get(f"/appeals/checkin/{token}/").status_code == 200
    assert c.post(f"/appeals/checkin/{token}/").status_code == 302
    assert whistle.summonses.get().arrived_at is not None


def test_rates_page_drilldown_and_excel(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    pending = world.to_status(world.file(), Status.HANDLED)
    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("basic"))
    c = english_client(world.supervisor)
    page = c.get("/appeals/rates/").content.decode()
    assert world.tree.department.name in page
    assert "data-pending>1<" in page  # the one awaiting callback is shown, not hidden
    for group in ("category", "community", "grid"):
        assert c.get(f"/appeals/rates/?group={group}").status_code == 200
    drill = c.get(f"/appeals/?view=all&department={world.tree.department.pk}").content.decode()
    assert appeal.number in drill
    assert pending.number in drill
    response = c.get("/appeals/rates/?format=xlsx")
    assert response.status_code == 200
    import io

    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][0] == world.tree.department.name
    assert rows[2][1] == 2  # dispatched
    assert rows[2][5] == 1  # resolved


def test_holiday_page_is_admin_only(world: AppealsWorld) -> None:
    assert english_client(world.worker).get("/appeals/holidays/").status_code == 403
    c = english_client(world.admin)
    response = c.post("/appeals/holidays/", {"year": "2027", "days": "2027-01-01 holiday\n2027-02-20 workday"})
    assert response.status_code == 302
    response = c.post("/appeals/holidays/", {"year": "2027", "days": "not-a-date"})
    assert response.status_code == 200
    assert "Line 1" in response.content.decode()


def test_inbox(world: AppealsWorld) -> None:
    from anju.inbox.services import notice_settings_update

    # Staff get new appeals in the daily digest unless they choose otherwise.
    notice_settings_update(actor=world.worker, modes={("appeal.filed", "app"): "now"})
    appeal = world.file()
    c = english_client(world.worker)
    html = c.get("/appeals/inbox/", follow=True).content.decode()  # the shared inbox (anju.inbox)
    assert f"New appeal {appeal.number}: " in html
    message = Message.objects.get(recipient=world.worker, kind="appeal.filed")
    assert f'action="/inbox/{message.pk}/open/"' in html
    assert c.post(f"/inbox/{message.pk}/open/")["Location"] == f"/appeals/{appeal.pk}/"
    assert c.post("/inbox/read-all/").status_code == 302
    assert "No unread messages" in c.get("/inbox/").content.decode()


# --- the JSON API ---------------------------------------------------------------------------------


def test_api_file_step_and_conflict(world: AppealsWorld) -> None:
    c = english_client(world.resident)
    response = c.post(
        "/api/v1/appeals",
        json.dumps({"category": "street-lamp", "description": "路灯", "location_id": world.tree.building.pk}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    bad = c.post(
        "/api/v1/appeals",
        json.dumps({"category": "no-such", "description": "x", "location_id": world.tree.building.pk}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "category"
    w = english_client(world.worker)
    assert (
        w.post(
            f"/api/v1/appeals/{pk}/steps", json.dumps({"action": "accept"}), content_type="application/json"
        ).status_code
        == 200
    )
    step = c.post(f"/api/v1/appeals/{pk}/steps", json.dumps({"action": "accept"}), content_type="application/json")
    assert step.status_code == 404
    again = w.post(f"/api/v1/appeals/{pk}/steps", json.dumps({"action": "accept"}), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert c.get(f"/api/v1/appeals/{pk}").json()["status"] == "accepted"
    assert english_client(world.other_resident).get(f"/api/v1/appeals/{pk}").status_code == 404
    listing = w.get("/api/v1/appeals").json()
    assert listing["count"] == 1
    assert english_client(world.supervisor).get("/api/v1/appeals/rates").status_code == 200


def test_api_on_behalf_needs_consent(world: AppealsWorld) -> None:
    c = english_client(world.volunteer)
    body = {
        "category": "street-lamp",
        "description": "帮邻居报",
        "location_id": world.tree.building.pk,
        "channel": Channel.PHONE,
        "contact_name": "孙奶奶",
        "contact_mobile": "17000000077",
    }
    response = c.post("/api/v1/appeals", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    response = c.post("/api/v1/appeals", json.dumps({**body, "consent": True}), content_type="application/json")
    assert response.status_code == 201


def test_exif_photo_upload_via_feedback(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.IN_PROGRESS)
    c = english_client(world.liaison)
    response = c.post(
        f"/appeals/{appeal.pk}/act/",
        {"action": "feedback", "note": "修好了", "photos": [upload("after.jpg", jpeg_bytes(exif_gps=True))]},
    )
    assert response.status_code == 302
    assert appeal.photos.filter(stage="feedback").count() == 1
