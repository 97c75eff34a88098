"""The people around an appeal: the whistle's site code (QR) and check-in by scanning it, revealing the
requester's number, the requester in the registry, and followers' callbacks."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlparse

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from anju.access.roles import Role
from anju.appeals.callback import followers
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import Appeal, AppealFollower, Callback, Channel, Status, Summons
from anju.appeals.rates.selectors import rates
from anju.appeals.whistles import services as whistles
from anju.appeals.whistles import sitecode
from anju.audit.models import AuditEvent, PiiAccess
from anju.inbox.models import Message
from anju.people import fakes
from anju.testing import english_client, make_user
from anju.testing.appeals import AppealsWorld, anonymous_appeal, follow, make_resident

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]


# --- 1. the whistle's site code ---------------------------------------------------------------------


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the image"
    return str(results[0].text)


def _checkins(appeal: Appeal) -> int:
    return AuditEvent.objects.filter(action="appeal.checkin", object_id=str(appeal.pk)).count()


def test_site_code_image_decodes_to_a_link_that_checks_in_once(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    power = world.other_liaison.grants.get().department
    whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department, power])
    worker = english_client(world.worker)
    page = worker.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code.svg" in page
    printable = worker.get(f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code/")
    assert printable.status_code == 200
    assert "<svg" in printable.content.decode()
    svg = worker.get(f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"viewBox" in svg.content
    assert b"<svg width" not in svg.content.split(b">", 1)[0] + b">"  # scales to the screen, never cropped
    png = worker.get(f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code.png")
    assert png["Content-Type"] == "image/png"

    url = _decode(png.content)
    assert url.startswith("http://testserver/appeals/checkin/")
    path = urlparse(url).path

    liaison = english_client(world.liaison)
    landing = liaison.get(path)
    assert landing.status_code == 200
    assert "We have arrived" in landing.content.decode()
    assert world.tree.department.name in landing.content.decode()
    assert power.name not in landing.content.decode()  # only the liaison's own department

    assert liaison.post(path).status_code == 302
    mine = Summons.objects.get(whistle=whistle, department=world.tree.department)
    first = mine.arrived_at
    assert first is not None
    assert mine.arrived_by == world.liaison
    # Scanning twice records one arrival: nothing more is written, and the time stays the first one.
    again = liaison.post(path, follow=True)
    assert again.status_code == 200
    assert "already recorded" in again.content.decode()
    mine.refresh_from_db()
    assert mine.arrived_at == first
    assert _checkins(appeal) == 1
    assert "We have arrived" not in liaison.get(path).content.decode()

    # The other summoned department checks in with the same code.
    assert english_client(world.other_liaison).post(path).status_code == 302
    assert Summons.objects.get(whistle=whistle, department=power).arrived_at is not None
    assert _checkins(appeal) == 2

    # The button on the appeal page still works (idempotently refused once arrived).
    assert liaison.post(f"/appeals/{appeal.pk}/summons/{mine.pk}/checkin/").status_code == 302
    assert _checkins(appeal) == 2


def test_site_code_refuses_other_whistle_forged_expired_and_closed(world: AppealsWorld, monkeypatch: Any) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department])
    token = sitecode.whistle_token(whistle)

    # A liaison whose department this whistle did not summon.
    other = english_client(world.other_liaison)
    refused = other.get(f"/appeals/checkin/{token}/")
    assert refused.status_code == 404
    assert "your department was not summoned" in refused.content.decode()
    assert other.post(f"/appeals/checkin/{token}/").status_code == 404

    liaison = english_client(world.liaison)
    forged = liaison.get(f"/appeals/checkin/{token[:-3]}abc/")
    assert forged.status_code == 404
    assert "not a valid check-in code" in forged.content.decode()
    # A token signed for something else (another salt) is not a check-in code either.
    assert liaison.get("/appeals/checkin/forged-token/").status_code == 404

    monkeypatch.setattr(sitecode, "CODE_MAX_AGE", -1)
    expired = liaison.post(f"/appeals/checkin/{token}/")
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    monkeypatch.setattr(sitecode, "CODE_MAX_AGE", 3600)
    assert Summons.objects.get(whistle=whistle).arrived_at is None
    assert _checkins(appeal) == 0

    # Neither a resident nor a signed-out visitor reaches the page; the liaison signs in first.
    assert english_client(world.resident).get(f"/appeals/checkin/{token}/").status_code == 403
    anonymous = Client().get(f"/appeals/checkin/{token}/")
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    # Only staff of the community get the code's image.
    assert liaison.get(f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code.png").status_code == 403
    outsider = make_user(Role.COMMUNITY_WORKER, world.tree.other_community)
    assert english_client(outsider).get(f"/appeals/{appeal.pk}/whistles/{whistle.pk}/code.png").status_code == 404

    handling.appeal_sign(actor=world.liaison, appeal=appeal)
    handling.appeal_feedback(actor=world.liaison, appeal=appeal, note="已处理")
    dispatch.appeal_close_unresolved(actor=world.worker, appeal=appeal, reason="无法解决")
    closed = liaison.post(f"/appeals/checkin/{token}/")
    assert closed.status_code == 409
    assert Summons.objects.get(whistle=whistle).arrived_at is None


def test_site_code_api(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department])
    token = sitecode.whistle_token(whistle)
    c = english_client(world.liaison)
    url = "/api/v1/appeals/site-codes/checkin"
    first = c.post(url, json.dumps({"code": token}), content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()[0]["recorded_now"] is True
    second = c.post(url, json.dumps({"code": token}), content_type="application/json")
    assert second.json()[0]["recorded_now"] is False
    assert _checkins(appeal) == 1
    bad = c.post(url, json.dumps({"code": "nope"}), content_type="application/json")
    assert bad.status_code == 404
    assert bad.json()["error"]["message"]


# --- 2. revealing the requester's number ------------------------------------------------------------


def _reveal(c: Client, appeal: Appeal, reason: str) -> Any:
    return c.post(f"/appeals/{appeal.pk}/reveal/", {"purpose": "callback", "reason": reason}, HTTP_HX_REQUEST="true")


def test_reveal_needs_a_reason_and_writes_the_access_log(world: AppealsWorld) -> None:
    appeal = anonymous_appeal(world)
    c = english_client(world.worker)
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "170****0055" in page
    assert "17000000055" not in page
    assert "Reveal the number" in page

    missing = _reveal(c, appeal, " ")
    assert missing.status_code == 422
    assert "17000000055" not in missing.content.decode()
    assert PiiAccess.objects.count() == 0

    short = _reveal(c, appeal, "回访联系")  # four characters: not a reason a reviewer can read
    assert short.status_code == 422
    assert PiiAccess.objects.count() == 0

    shown = _reveal(c, appeal, "电话回访联系诉求人")
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    assert "17000000055" in shown.content.decode()
    log = PiiAccess.objects.get()
    assert (log.actor, log.subject_type, log.subject_id, log.field, log.reason) == (
        world.worker,
        "appeals.appeal",
        str(appeal.pk),
        "contact_mobile",
        "电话回访联系诉求人",
    )
    assert log.purpose == "callback"
    assert log.community == world.tree.community
    # The page itself stays masked after a reveal.
    assert "17000000055" not in c.get(f"/appeals/{appeal.pk}/").content.decode()


def test_reveal_is_404_for_those_without_need(world: AppealsWorld) -> None:
    appeal = anonymous_appeal(world)
    secretary = make_user(Role.BRANCH_SECRETARY, world.tree.community)
    outsider = make_user(Role.COMMUNITY_WORKER, world.tree.other_community)
    for user in (world.resident, world.other_resident, outsider, world.gridworker, world.supervisor, world.volunteer):
        assert _reveal(english_client(user), appeal, "想看看这个号码").status_code == 404, user
    assert _reveal(english_client(secretary), appeal, "电话回访诉求人").status_code == 200
    assert PiiAccess.objects.count() == 1

    # The lead department's liaison: only while the department holds the appeal.
    power = world.other_liaison.grants.get().department
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department, assisting=[power])
    assert _reveal(english_client(world.liaison), appeal, "电话联系诉求人").status_code == 404  # not signed for yet
    handling.appeal_sign(actor=world.liaison, appeal=appeal)
    assert _reveal(english_client(world.liaison), appeal, "电话联系诉求人").status_code == 200
    assert _reveal(english_client(world.other_liaison), appeal, "协办单位联系诉求人").status_code == 404  # assisting
    handling.appeal_feedback(actor=world.liaison, appeal=appeal, note="已修复")
    assert _reveal(english_client(world.liaison), appeal, "电话联系诉求人").status_code == 404  # handed in
    assert PiiAccess.objects.count() == 2


def test_reveal_over_the_api(world: AppealsWorld) -> None:
    appeal = anonymous_appeal(world)
    url = f"/api/v1/appeals/{appeal.pk}/reveal"
    c = english_client(world.worker)
    empty = c.post(url, json.dumps({"reason": ""}), content_type="application/json")
    assert empty.status_code == 422
    assert PiiAccess.objects.count() == 0
    ok = c.post(url, json.dumps({"purpose": "callback", "reason": "电话回访诉求人"}), content_type="application/json")
    assert ok.status_code == 200
    assert "no-store" in ok["Cache-Control"]
    assert ok.json() == {"id": appeal.pk, "field": "contact_mobile", "value": "17000000055"}
    assert PiiAccess.objects.count() == 1
    for user in (world.resident, make_user(Role.COMMUNITY_WORKER, world.tree.other_community)):
        answer = english_client(user).post(
            url, json.dumps({"purpose": "other", "reason": "看看这个号码是多少"}), content_type="application/json"
        )
        assert answer.status_code == 404
    assert PiiAccess.objects.count() == 1


# --- 3. the requester in the registry ---------------------------------------------------------------


def test_resident_filing_is_linked_to_their_registry_entry(world: AppealsWorld) -> None:
    me = make_resident(world.tree.building, "刘明", 11, mobile="17000000011")  # the account's mobile
    appeal = world.file()
    assert appeal.requester_resident == me
    stranger = world.file(actor=world.other_resident)  # no registry entry with that account's number
    assert stranger.requester_resident is None

    page = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/people/residents/{me.pk}/" in page
    dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department)
    liaison_page = english_client(world.liaison).get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/people/residents/{me.pk}/" not in liaison_page
    assert "刘明" not in liaison_page


def test_volunteer_picks_the_resident_from_the_registry(world: AppealsWorld) -> None:
    grandma = make_resident(world.tree.building, "孙桂兰", 21)
    elsewhere = make_resident(world.tree.other_grid, "孙桂芳", 22)
    v = english_client(world.volunteer)

    found = v.get("/appeals/residents/", {"resident_q": "sun"}).content.decode()
    assert f'value="{grandma.pk}"' in found
    assert "孙*兰" in found
    assert "孙桂兰" not in found
    assert f'value="{elsewhere.pk}"' not in found  # out of the volunteer's reach
    assert fakes.mobile(21) not in found
    assert "孙桂兰" in english_client(world.worker).get("/appeals/residents/", {"resident_q": "sgl"}).content.decode()
    assert english_client(world.resident).get("/appeals/residents/", {"resident_q": "sun"}).status_code == 403

    form = v.get("/appeals/new/").content.decode()
    assert "data-resident-pick" in form
    base = {
        "category": world.category.pk,
        "location": world.tree.building.pk,
        "description": "楼道灯坏了",
        "urgency": "general",
        "channel": Channel.VISIT,
        "consent": "on",
        "file_anyway": "1",
    }
    before = Appeal.objects.count()
    assert v.post("/appeals/new/", {**base, "requester_resident": elsewhere.pk}).status_code == 422
    assert v.post("/appeals/new/", {**base, "requester_resident": "x"}).status_code == 422
    assert v.post("/appeals/new/", {**base}).status_code == 422  # neither a resident nor a contact
    assert Appeal.objects.count() == before

    done = v.post("/appeals/new/", {**base, "requester_resident": grandma.pk})
    assert done.status_code == 302, done.content.decode()
    appeal = Appeal.objects.latest("id")
    assert appeal.requester_resident == grandma
    assert appeal.contact_mobile_sealed == ""
    assert appeal.contact_name_sealed == ""
    assert appeal.filed_by == world.volunteer
    assert appeal.requester is None

    # The worker reveals the number from the registry entry: logged against the resident.
    shown = _reveal(english_client(world.worker), appeal, "电话回访诉求人")
    assert fakes.mobile(21) in shown.content.decode()
    log = PiiAccess.objects.get()
    assert (log.subject_type, log.subject_id, log.field) == ("people.resident", str(grandma.pk), "mobile")
    assert log.reason == f"{appeal.number}: 电话回访诉求人"


def test_picked_resident_without_mobile_needs_a_number_and_api_pick(world: AppealsWorld) -> None:
    nobody = make_resident(world.tree.building, "周老汉", 31, mobile="")
    with pytest.raises(ValidationError) as err:
        world.file(
            actor=world.volunteer, channel=Channel.PHONE, consent=True, requester_resident=nobody, requester=None
        )
    assert "contact_mobile" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        world.file(actor=world.resident, channel=Channel.APP, requester_resident=nobody)
    assert "requester_resident" in err.value.message_dict
    appeal = world.file(
        actor=world.volunteer,
        channel=Channel.PHONE,
        consent=True,
        requester_resident=nobody,
        contact_mobile="17000000099",
    )
    assert appeal.requester_resident == nobody

    c = english_client(world.worker)
    body = {
        "category": "street-lamp",
        "description": "帮邻居报",
        "location_id": world.tree.building.pk,
        "channel": Channel.PHONE,
        "consent": True,
        "requester_resident_id": nobody.pk,
        "contact_mobile": "17000000098",
    }
    response = c.post("/api/v1/appeals", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Appeal.objects.get(pk=response.json()["id"]).requester_resident == nobody
    outsider = make_resident(world.tree.other_grid, "钱某", 32)
    bad = c.post(
        "/api/v1/appeals", json.dumps({**body, "requester_resident_id": outsider.pk}), content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "requester_resident"


# --- 4. followers are called back too ---------------------------------------------------------------


def _followed(world: AppealsWorld) -> Appeal:
    appeal = world.file()
    follow(world.other_resident, appeal)
    return appeal


def test_follower_answers_from_the_appeal_page_and_counts(world: AppealsWorld) -> None:
    appeal = _followed(world)
    f = english_client(world.other_resident)
    assert 'data-step="follower-callback"' not in f.get(f"/appeals/{appeal.pk}/").content.decode()
    world.to_status(appeal, Status.VERIFIED)
    page = f.get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-step="follower-callback"' in page
    assert 'data-step="callback"' not in page  # not the requester's form
    url = f"/appeals/{appeal.pk}/act/"
    assert f.post(url, {"action": "callback", "resolved": "no", "satisfaction": "unsatisfied"}).status_code == 302
    answer = Callback.objects.get(is_follower=True)
    assert (answer.respondent, answer.recorded_by, answer.resolved) == (
        world.other_resident,
        world.other_resident,
        False,
    )
    assert Appeal.objects.get(pk=appeal.pk).status == Status.VERIFIED  # a follower never moves the appeal
    again = f.post(url, {"action": "callback", "resolved": "yes", "satisfaction": "satisfied"})
    assert again.status_code == 409
    assert Callback.objects.filter(is_follower=True).count() == 1

    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    assert Appeal.objects.get(pk=appeal.pk).status == Status.CLOSED_RESOLVED
    _rows, total = rates(world.supervisor)
    # Only the requester's answer counts: the community did not choose to count followers' (appeals.callback.followers).
    assert (
        total.counts["completed"],
        total.counts["resolved"],
        total.counts["ratings"],
        total.counts["satisfied"],
    ) == (
        1,
        1,
        1,
        1,
    )
    assert total.resolution_rate == 100.0

    requester_page = english_client(world.resident).get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-callback="requester"' in requester_page
    assert 'data-callback="follower"' not in requester_page  # one resident's rating is not shown to another
    worker_page = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-callback="requester"' in worker_page
    assert 'data-callback="follower"' in worker_page


def test_follower_may_answer_after_the_requester_closed_it(world: AppealsWorld) -> None:
    appeal = world.to_status(_followed(world), Status.VERIFIED)
    callback.appeal_callback(actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    f = english_client(world.other_resident)
    assert 'data-step="follower-callback"' in f.get(f"/appeals/{appeal.pk}/").content.decode()
    assert (
        f.post(
            f"/appeals/{appeal.pk}/act/", {"action": "callback", "resolved": "yes", "satisfaction": "basic"}
        ).status_code
        == 302
    )
    assert Callback.objects.filter(appeal=appeal, is_follower=True, resolved=True).count() == 1


def test_worker_records_a_followers_answer(world: AppealsWorld) -> None:
    appeal = world.to_status(_followed(world), Status.VERIFIED)
    w = english_client(world.worker)
    page = w.get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-step="record-follower-callback"' in page
    assert f'value="{world.other_resident.pk}"' in page
    url = f"/appeals/{appeal.pk}/act/"
    data = {"action": "callback", "resolved": "yes", "satisfaction": "satisfied"}

    # Someone who does not follow it is not a follower; a liaison may not record; a follower may not
    # record for another.
    assert w.post(url, {**data, "follower": world.volunteer.pk}).status_code == 422
    assert english_client(world.liaison).post(url, {**data, "follower": world.other_resident.pk}).status_code == 404
    third = make_user(Role.RESIDENT, world.tree.building)
    AppealFollower.objects.create(appeal=appeal, user=third, community_id=appeal.community_id)
    assert english_client(third).post(url, {**data, "follower": world.other_resident.pk}).status_code in (403, 404)
    assert Callback.objects.count() == 0

    assert w.post(url, {**data, "follower": world.other_resident.pk}).status_code == 302
    answer = Callback.objects.get()
    assert (answer.respondent, answer.recorded_by, answer.is_follower) == (world.other_resident, world.worker, True)
    assert Appeal.objects.get(pk=appeal.pk).status == Status.VERIFIED
    assert f'value="{world.other_resident.pk}"' not in w.get(f"/appeals/{appeal.pk}/").content.decode()
    assert (
        'data-step="follower-callback"'
        not in english_client(world.other_resident).get(f"/appeals/{appeal.pk}/").content.decode()
    )

    api = w.post(
        f"/api/v1/appeals/{appeal.pk}/steps",
        json.dumps({"action": "callback", "resolved": False, "satisfaction": "unsatisfied", "follower": third.pk}),
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    # An unsatisfied follower is brought to the community's attention; a satisfied one is not.
    assert Message.objects.filter(kind="appeal.follower_unsatisfied", recipient=world.worker).count() == 1
    listed = w.get(f"/api/v1/appeals/{appeal.pk}/callbacks").json()
    assert sorted((c["respondent_id"], c["follower"]) for c in listed) == sorted(
        [(world.other_resident.pk, True), (third.pk, True)]
    )
    mine = english_client(third).get(f"/api/v1/appeals/{appeal.pk}/callbacks").json()
    assert [c["respondent_id"] for c in mine] == [third.pk]


def test_a_reopened_appeal_asks_followers_again(world: AppealsWorld) -> None:
    appeal = world.to_status(_followed(world), Status.VERIFIED)
    callback.appeal_callback(
        actor=world.other_resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
    )
    assert not followers.may_answer(appeal, world.other_resident)
    callback.appeal_callback(
        actor=world.resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
    )
    assert appeal.status == Status.REOPENED
    assert not followers.may_answer(appeal, world.other_resident)
    handling.appeal_sign(actor=world.liaison, appeal=appeal)
    handling.appeal_feedback(actor=world.liaison, appeal=appeal, note="重新修好")
    dispatch.appeal_verify(actor=world.worker, appeal=appeal)
    assert followers.may_answer(appeal, world.other_resident)
    callback.appeal_callback(
        actor=world.other_resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied")
    )
    assert Callback.objects.filter(appeal=appeal, is_follower=True).count() == 2


def test_appeal_page_queries_do_not_grow_with_followers(world: AppealsWorld) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    appeal = world.to_status(_followed(world), Status.VERIFIED)
    # One follower who has answered: the page reads its followers and its callbacks (an empty list is not read).
    callback.appeal_callback(
        actor=world.other_resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied")
    )
    w = english_client(world.worker)
    w.get(f"/appeals/{appeal.pk}/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert w.get(f"/appeals/{appeal.pk}/").status_code == 200
    for _ in range(4):
        follower = make_user(Role.RESIDENT, world.tree.building)
        follow(follower, appeal)
        callback.appeal_callback(actor=follower, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    w.get(f"/appeals/{appeal.pk}/")  # the followers' grants renewed the reference data: the worker's worked out again
    with CaptureQueriesContext(connection) as five:
        page = w.get(f"/appeals/{appeal.pk}/").content.decode()
    assert page.count('data-callback="follower"') == 5  # the first follower's and the four others'
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_appeal_page_asks_once_whether_the_reader_follows(world: AppealsWorld) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    appeal = world.to_status(_followed(world), Status.VERIFIED)  # a follower may answer: every check is asked
    f = english_client(world.other_resident)
    f.get(f"/appeals/{appeal.pk}/")
    with CaptureQueriesContext(connection) as page:
        assert 'data-step="follower-callback"' in f.get(f"/appeals/{appeal.pk}/").content.decode()
    asked = [
        q["sql"] for q in page.captured_queries if q["sql"].startswith('SELECT 1 AS "a" FROM "appeals_appealfollower"')
    ]
    assert len(asked) == 1


def test_a_workers_appeal_page_does_not_ask_whether_she_follows_it(world: AppealsWorld) -> None:
    """Staff of the community work the appeal whatever they follow: the page spends no query on it (it did, one
    per page, before). A verified appeal with followers still asks, once: a follower is not offered the staff's
    callback."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def asked(appeal: Appeal) -> list[str]:
        w.get(f"/appeals/{appeal.pk}/")
        with CaptureQueriesContext(connection) as page:
            assert w.get(f"/appeals/{appeal.pk}/").status_code == 200
        followers = 'SELECT 1 AS "a" FROM "appeals_appealfollower"'
        return [q["sql"] for q in page.captured_queries if q["sql"].startswith(followers)]

    w = english_client(world.worker)
    assert asked(world.file()) == []
    assert asked(world.to_status(world.file(), Status.VERIFIED)) == []  # no follower: none to ask of
    assert len(asked(world.to_status(_followed(world), Status.VERIFIED))) == 1


def test_following_drops_what_the_appeal_object_knew_of_its_followers(world: AppealsWorld) -> None:
    from anju.appeals.policies import follows

    appeal = world.file()
    assert not follows(appeal, world.other_resident.pk)
    intake_appeal = Appeal.objects.get(pk=appeal.pk)
    assert not follows(intake_appeal, world.other_resident.pk)
    follow(world.other_resident, intake_appeal)
    assert follows(intake_appeal, world.other_resident.pk)  # the object the service was given
    assert followers.is_follower(intake_appeal, world.other_resident)
    assert not follows(appeal, world.other_resident.pk)  # another object keeps its answer for its request
    assert follows(Appeal.objects.get(pk=appeal.pk), world.other_resident.pk)
