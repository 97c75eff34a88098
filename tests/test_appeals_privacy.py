"""Appeals privacy: following only an offered appeal, the follower's public view, residents' names hidden
from other residents, numbers in free text sealed and masked everywhere, what Open311 publishes."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.test import Client

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.appeals import privacy, services
from anju.appeals.callback import services as callback
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, AppealFollower, Callback, Channel, Status
from anju.appeals.rates.selectors import rates
from anju.audit.models import PiiAccess
from anju.testing import english_client, make_user
from anju.testing.appeals import AppealsWorld, follow, upload

#: Random per-request tokens (CSRF, CSP nonces) can spell a door number by chance: a page is read without them.
_RANDOM_TOKEN = re.compile(r'(?<=")[A-Za-z0-9_+/=-]{32,}(?=")')


def _page(response: Any) -> str:
    return _RANDOM_TOKEN.sub("", response.content.decode())


TEXT = "楼下邻居张三每晚吵闹，请回电 17000000002 身份证429999199001011234 卡4111 1111 1111 1111 车鄂J·12345"
NUMBERS = ("17000000002", "429999199001011234", "4111111111111111", "4111 1111 1111 1111", "鄂J·12345", "鄂J12345")


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608  fixed names
        return str(cur.fetchone()[0])


def _no_number(text: str, *, at_rest: bool = True) -> None:
    for number in NUMBERS:
        assert number not in text
    if at_rest:  # the readable part of a stored value holds no run of digits at all
        assert not re.search(r"\d{5,}", text.split("⟦pii ")[0])


# --- 1. following opens nothing ------------------------------------------------------------------------


def test_following_an_appeal_not_offered_is_404_and_writes_nothing(world: AppealsWorld) -> None:
    appeal = world.file(description=TEXT)
    c = english_client(world.other_resident)
    assert c.post(f"/appeals/{appeal.pk}/follow/").status_code == 404
    forged = privacy.offer_token(world.resident, appeal)  # an offer made to someone else
    assert c.post(f"/appeals/{appeal.pk}/follow/", {"offer": forged}).status_code == 404
    other = world.file(description="另一个问题")
    wrong = privacy.offer_token(world.other_resident, other)  # an offer of another appeal
    assert c.post(f"/appeals/{appeal.pk}/follow/", {"offer": wrong}).status_code == 404
    assert not AppealFollower.objects.filter(appeal=appeal).exists()
    assert c.get(f"/appeals/{appeal.pk}/").status_code == 404


def test_filing_offers_similar_appeals_that_can_then_be_followed(world: AppealsWorld) -> None:
    first = world.file(description=TEXT)
    c = english_client(world.other_resident)
    form = {
        "category": world.category.pk,
        "description": "路灯坏了",
        "location": world.tree.building.pk,
        "urgency": "general",
    }
    page = _page(c.post("/appeals/new/", form))
    assert "data-suggestion" in page
    assert "张三" not in page
    assert "17000000002" not in page
    offer = re.search(r'name="offer" value="([^"]+)"', page)
    assert offer is not None
    assert c.post(f"/appeals/{first.pk}/follow/", {"offer": offer.group(1)}).status_code == 302
    assert AppealFollower.objects.filter(appeal=first, user=world.other_resident).exists()


def test_staff_may_link_a_follower(world: AppealsWorld) -> None:
    appeal = world.file()
    privacy.follower_link(actor=world.worker, appeal=appeal, user=world.other_resident)
    assert AppealFollower.objects.filter(appeal=appeal, user=world.other_resident).exists()


def test_follower_sees_the_public_view_only(world: AppealsWorld, media_root: None) -> None:
    appeal = world.file(description=TEXT, address="3栋2单元501", photos=[upload()])
    services.appeal_note(actor=world.worker, appeal=appeal, note="内部：与张三谈过")
    follow(world.other_resident, appeal)
    c = english_client(world.other_resident)
    page = _page(c.get(f"/appeals/{appeal.pk}/"))
    assert "data-public-view" in page
    for secret in ("张三", "吵闹", "501", "170****0002", "内部", 'class="muted"'):
        assert secret not in page
    assert "appeals/photo" not in page
    assert f"/appeals/{appeal.pk}/photos/" not in page
    photo = appeal.photos.get()
    assert c.get(f"/appeals/{appeal.pk}/photos/{photo.pk}/").status_code == 404
    assert c.get(f"/api/v1/appeals/{appeal.pk}").json()["description"] == ""
    # Staff decide otherwise: the description (masked) and the photos are shared.
    assert english_client(world.worker).post(f"/appeals/{appeal.pk}/act/", {"action": "share", "shared": "yes"})
    shared = _page(c.get(f"/appeals/{appeal.pk}/"))
    assert "张三" in shared
    assert "170****0002" in shared
    assert "17000000002" not in shared
    response = c.get(f"/appeals/{appeal.pk}/photos/{photo.pk}/")
    assert response.status_code == 200
    response.close()


def test_follower_answers_do_not_count_unless_the_community_chose(world: AppealsWorld) -> None:
    appeal = world.file()
    follow(world.other_resident, appeal)
    world.to_status(appeal, Status.VERIFIED)
    callback.appeal_callback(
        actor=world.other_resident, appeal=appeal, resolved=False, satisfaction=world.level("unsatisfied")
    )
    assert Callback.objects.get(is_follower=True).counted is False
    assert rates(world.supervisor)[1].counts.get("completed", 0) == 0
    privacy.publication_set(actor=world.worker, community=world.tree.community, level="off", followers_counted=True)
    third = make_user(Role.RESIDENT, world.tree.building)
    follow(third, appeal)
    callback.appeal_callback(actor=third, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"))
    total = rates(world.supervisor)[1]
    assert (total.counts["completed"], total.counts["resolved"]) == (1, 1)


# --- 2. residents' names ---------------------------------------------------------------------------------


def test_timeline_shows_another_resident_not_the_neighbours_name(world: AppealsWorld) -> None:
    world.other_resident.display_name = "赵桂兰"
    world.other_resident.save()
    appeal = world.file()
    follow(world.other_resident, appeal)
    page = _page(english_client(world.resident).get(f"/appeals/{appeal.pk}/"))
    assert "赵桂兰" not in page
    assert "Another resident" in page
    assert "You" in page  # her own filing step
    staff = _page(english_client(world.worker).get(f"/appeals/{appeal.pk}/"))
    assert "赵桂兰" in staff  # community staff still see who


# --- 3. numbers in free text ----------------------------------------------------------------------------


def test_numbers_are_sealed_at_rest_and_masked_on_page_api_and_open311(world: AppealsWorld) -> None:
    appeal = world.file(description=TEXT, address="鄂J·12345 车旁 17000000002")
    raw = _raw("appeals_appeal", "description", appeal.pk)
    _no_number(raw)
    _no_number(_raw("appeals_appeal", "address", appeal.pk))
    page = _page(english_client(world.worker).get(f"/appeals/{appeal.pk}/"))
    _no_number(page, at_rest=False)
    assert "170****0002" in page
    assert "4299**************" in page
    assert "鄂J·***45" in page
    api = english_client(world.worker).get(f"/api/v1/appeals/{appeal.pk}").json()
    assert "170****0002" in api["description"]
    _no_number(json.dumps(api, ensure_ascii=False), at_rest=False)
    privacy.publication_set(actor=world.worker, community=world.tree.community, level="basic", summary=True)
    body = _page(Client().get("/open311/v2/requests.json"))
    assert "170****0002" in body
    _no_number(body, at_rest=False)


def test_callback_comments_and_notes_are_screened(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.VERIFIED)
    callback.appeal_callback(
        actor=world.resident,
        appeal=appeal,
        resolved=True,
        satisfaction=world.level("satisfied"),
        comment="回电17000000002",
    )
    cb = Callback.objects.get(appeal=appeal)
    _no_number(_raw("appeals_callback", "comment", cb.pk))
    page = _page(english_client(world.worker).get(f"/appeals/{appeal.pk}/"))
    assert "170****0002" in page
    assert "17000000002" not in page


def test_staff_reveal_the_numbers_with_a_reason_written_to_the_access_log(world: AppealsWorld) -> None:
    appeal = world.file(description=TEXT)
    c = english_client(world.worker)
    assert (
        c.post(
            f"/appeals/{appeal.pk}/reveal-text/", {"field": "description", "purpose": "callback", "reason": ""}
        ).status_code
        == 302
    )
    assert not PiiAccess.objects.exists()
    shown = c.post(
        f"/appeals/{appeal.pk}/reveal-text/",
        {"field": "description", "purpose": "callback", "reason": "回电核实诉求人联系方式"},
    )
    assert "17000000002" in shown.content.decode()
    assert shown["Cache-Control"].startswith("max-age=0") or "no-store" in shown["Cache-Control"]
    log = PiiAccess.objects.get()
    assert (log.actor, log.field, log.purpose, log.reason) == (
        world.worker,
        "description",
        "callback",
        "回电核实诉求人联系方式",
    )
    api = c.post(
        f"/api/v1/appeals/{appeal.pk}/reveal",
        json.dumps({"field": "description", "purpose": "verify_identity", "reason": "再次核实身份证号码"}),
        content_type="application/json",
    )
    assert "429999199001011234" in api.json()["value"]
    assert PiiAccess.objects.count() == 2
    # Residents, followers and grid workers may not.
    for who in (world.resident, world.gridworker):
        assert (
            english_client(who)
            .post(
                f"/appeals/{appeal.pk}/reveal-text/",
                {"field": "description", "purpose": "callback", "reason": "回电核实诉求人联系方式"},
            )
            .status_code
            == 404
        )
    assert PiiAccess.objects.count() == 2


def test_the_data_migration_screens_existing_rows(world: AppealsWorld) -> None:
    import importlib

    from django.apps import apps as django_apps

    appeal = world.file()
    Appeal.objects.filter(pk=appeal.pk).update(description=TEXT)  # as stored before screening existed
    migration = importlib.import_module("anju.appeals.migrations.0010_screen_free_text")
    migration.screen_all(django_apps, None)
    migration.screen_all(django_apps, None)  # twice: idempotent
    _no_number(_raw("appeals_appeal", "description", appeal.pk))
    appeal.refresh_from_db()
    assert "17000000002" in privacy.text_reveal(
        actor=world.worker, appeal=appeal, field="description", purpose="callback", reason="回电核实诉求人联系方式"
    )


# --- Open311: what was published, two communities ------------------------------------------------------


def _other_community_appeal(world: AppealsWorld) -> Appeal:
    resident = make_user(Role.RESIDENT, world.tree.other_grid)
    return intake.appeal_file(
        actor=resident,
        community=world.tree.other_community,
        category=world.category,
        description="另一个社区的问题",
        location=world.tree.other_grid,
        channel=Channel.APP,
        address="9栋101",
    )


def test_open311_publishes_only_what_each_community_chose(world: AppealsWorld) -> None:
    mine = world.file(description=TEXT, address="3栋2单元501")
    theirs = _other_community_appeal(world)
    c = Client()
    assert c.get("/open311/v2/requests.json").json() == []
    assert c.get(f"/open311/v2/requests/{mine.pk}.json").status_code == 404
    privacy.publication_set(actor=world.worker, community=world.tree.community, level="basic")
    body = c.get("/open311/v2/requests.json").json()
    assert [r["service_request_id"] for r in body] == [str(mine.pk)]  # the other community publishes nothing
    row = body[0]
    assert (row["description"], row["address"], row["address_id"], row["lat"], row["long"]) == ("", "", "", None, None)
    privacy.publication_set(actor=world.worker, community=world.tree.community, level="basic", area=True, summary=True)
    row = c.get("/open311/v2/requests.json").json()[0]
    assert row["address"] == world.tree.area.name  # the area, never the building or door
    assert "501" not in json.dumps(row, ensure_ascii=False)
    assert "170****0002" in row["description"]
    # A token scoped to the other community never sees this one, though it publishes.
    other_worker = make_user(Role.COMMUNITY_WORKER, world.tree.other_community)
    privacy.publication_set(actor=other_worker, community=world.tree.other_community, level="basic")
    _token, key = account_services.token_create(actor=None, user=other_worker, name="open311")
    scoped = c.get(f"/open311/v2/requests.json?api_key={key}").json()
    assert [r["service_request_id"] for r in scoped] == [str(theirs.pk)]
    assert c.get(f"/open311/v2/requests/{mine.pk}.json?api_key={key}").status_code == 404
    assert c.get("/open311/v2/requests.json?api_key=nope").status_code == 403


def test_publication_is_set_by_the_communitys_staff_and_audited(world: AppealsWorld) -> None:
    from anju.audit.models import AuditEvent

    c = english_client(world.worker)
    url = "/appeals/config/publication/"
    assert c.get(url).status_code == 200
    assert c.post(url, {"level": "basic", "area": "on"}).status_code == 302
    pub = privacy.publication_for(world.tree.community)
    assert (pub.level, pub.area, pub.summary) == ("basic", True, False)
    assert AuditEvent.objects.filter(action="appeal.publication_set").count() == 1
    assert english_client(world.resident).get(url).status_code == 403  # no such role anywhere
    other_worker = make_user(Role.COMMUNITY_WORKER, world.tree.other_community)
    api = english_client(other_worker).put(
        f"/api/v1/appeals/config/publication/{world.tree.community.pk}",
        json.dumps({"level": "off"}),
        content_type="application/json",
    )
    assert api.status_code == 404
    assert privacy.publication_for(world.tree.community).level == "basic"
