"""The notice board over /api/v1: the same audience rules, reads, covers and summaries as the pages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.bulletin import services
from anju.bulletin.models import Notice, NoticePhoto, NoticeRead
from anju.orgs.models import UnitKind
from anju.people import services as people_services
from anju.testing import unit
from anju.testing.activities import ActivityWorld, make_activity, make_past_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]

PAYLOADS = (
    "<p>停水通知</p><script>alert('x')</script><p onclick=\"steal()\">点我</p>"
    '<img src="https://example.org/a.png" onerror="steal()"><iframe src="https://evil.example.com/"></iframe>'
    '<a href="javascript:steal()">链接</a>'
)


def api_for(user: Any, language: str = "en") -> Client:
    token = account_services.token_create(actor=None, user=user, name="t", days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["anju_language"] = language
    return client


def photo(name: str = "photo.jpg", size: tuple[int, int] = (2000, 1500), color: str = "orange") -> SimpleUploadedFile:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (30.0, 27.0, 0.0)}
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def not_an_image(name: str = "virus.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is not a picture", content_type="image/jpeg")


def _notice(activity_world: ActivityWorld, title: str, **fields: Any) -> Notice:
    base: dict[str, Any] = {
        "actor": activity_world.users["worker"],
        "community": activity_world.tree.community,
        "body": "<p>内容</p>",
    }
    return services.notice_create(title=title, **(base | fields))


def _titles(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [n["title"] for n in answer.json()["results"]]


def _page_titles(client: Client, url: str = "/notices/") -> list[str]:
    page = client.get(url).content.decode()
    if 'id="notice-list"' not in page:
        return []
    listing = page[page.index('id="notice-list"') : page.index("</ul>", page.index('id="notice-list"'))]
    return re.findall(r'<a (?:class="[^"]*" )?href="/notices/\d+/">([^<]+)</a>', listing)


def _snapshot() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        list(Notice.objects.order_by("pk").values_list("pk", "title", "body", "pinned", "cover", "expires_at")),
        NoticePhoto.objects.count(),
    )


def _image(client: Client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return Image.open(io.BytesIO(data))


def test_list_follows_the_page_audience_rules(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    now = timezone.now()
    _notice(activity_world, "旧闻", publish_at=now - timedelta(days=3))
    _notice(activity_world, "置顶：防诈骗", pinned=True, publish_at=now - timedelta(days=5))
    _notice(activity_world, "新闻", publish_at=now - timedelta(days=1))
    _notice(activity_world, "已过期", publish_at=now - timedelta(days=9), expires_at=now - timedelta(days=1))
    _notice(activity_world, "未发布", publish_at=now + timedelta(days=1))
    _notice(activity_world, "老人专属", audience="tag", tag=activity_world.tags["老人"])
    elsewhere = unit(UnitKind.AREA, "别的片区", activity_world.tree.community)
    _notice(activity_world, "别的片区通知", audience="area", area=elsewhere)
    _notice(activity_world, "本片区通知", audience="area", area=activity_world.tree.area)
    for name in ("resident", "young", "volunteer", "other_worker"):
        user = activity_world.users[name]
        assert _titles(api_for(user).get("/api/v1/notices")) == _page_titles(client_for(user)), name
    elder = _titles(api_for(activity_world.users["resident"]).get("/api/v1/notices"))
    assert elder[0] == "置顶：防诈骗"
    assert elder.index("新闻") < elder.index("旧闻")
    assert "老人专属" in elder
    for hidden in ("已过期", "未发布", "别的片区通知"):
        assert hidden not in elder
    assert "老人专属" not in _titles(api_for(activity_world.users["young"]).get("/api/v1/notices"))
    assert _titles(api_for(activity_world.users["other_worker"]).get("/api/v1/notices")) == []
    assert Client().get("/api/v1/notices").status_code == 401


def test_filters_search_and_pagination(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    now = timezone.now()
    _notice(
        activity_world,
        "冬季用电安全",
        category="safety",
        body="<p>请勿私拉电线</p>",
        publish_at=now - timedelta(days=1),
    )
    _notice(activity_world, "停水通知", category="notice", pinned=True, publish_at=now - timedelta(days=2))
    _notice(activity_world, "社区新闻", category="news", body="<p>电梯加装完成</p>", publish_at=now - timedelta(days=3))
    api = api_for(activity_world.users["resident"])
    assert _titles(api.get("/api/v1/notices?category=safety")) == ["冬季用电安全"]
    assert _titles(api.get("/api/v1/notices?pinned=true")) == ["停水通知"]
    assert _titles(api.get("/api/v1/notices?pinned=false")) == ["冬季用电安全", "社区新闻"]
    assert _titles(api.get("/api/v1/notices?q=电梯")) == ["社区新闻"]  # found in the text
    assert _titles(api.get("/api/v1/notices?q=电")) == ["冬季用电安全", "社区新闻"]
    assert _titles(api.get("/api/v1/notices?q=不存在")) == []
    first = api.get("/api/v1/notices?limit=2&offset=0").json()
    second = api.get("/api/v1/notices?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 3
    assert [n["title"] for n in first["results"] + second["results"]] == ["停水通知", "冬季用电安全", "社区新闻"]
    assert api.get("/api/v1/notices?pinned=maybe").status_code == 422
    # The page takes the same filters through the same selector.
    page = client_for(activity_world.users["resident"])
    assert _page_titles(page, "/notices/?q=电梯") == ["社区新闻"]
    assert _page_titles(page, "/notices/?category=safety") == ["冬季用电安全"]
    assert _page_titles(page, "/notices/?pinned=on") == ["停水通知"]
    assert _page_titles(page, "/notices/?category=gossip") == ["停水通知", "冬季用电安全", "社区新闻"]


def test_detail_counts_one_read_per_reader_and_gives_neighbours(activity_world: ActivityWorld) -> None:
    now = timezone.now()
    older = _notice(activity_world, "旧闻", publish_at=now - timedelta(days=3))
    middle = _notice(activity_world, "中间", body=PAYLOADS, publish_at=now - timedelta(days=2))
    _notice(
        activity_world,
        "老人专属",
        audience="tag",
        tag=activity_world.tags["老人"],
        publish_at=now - timedelta(days=1, hours=12),
    )
    newer = _notice(activity_world, "新闻", publish_at=now - timedelta(days=1))
    elder = api_for(activity_world.users["resident"])
    young = api_for(activity_world.users["young"])
    first = elder.get(f"/api/v1/notices/{middle.pk}")
    assert first.status_code == 200
    data = first.json()
    assert data["read_count"] == 1
    elder.get(f"/api/v1/notices/{middle.pk}")
    assert young.get(f"/api/v1/notices/{middle.pk}").json()["read_count"] == 2
    assert NoticeRead.objects.filter(notice=middle).count() == 2
    assert data["previous_id"] == older.pk
    # The elder's next is the tagged notice; the young resident's skips it.
    assert data["next_id"] == Notice.objects.get(title="老人专属").pk
    assert young.get(f"/api/v1/notices/{middle.pk}").json()["next_id"] == newer.pk
    body = data["body"].lower()
    for bad in ("<script", "steal()", "onclick", "onerror", "<iframe", "javascript:"):
        assert bad not in body, bad
    assert "点我" in body
    assert data["photos"] == []
    assert data["cover_url"] is None
    hidden = Notice.objects.get(title="老人专属")
    missing = young.get(f"/api/v1/notices/{hidden.pk}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert young.get("/api/v1/notices/999999").status_code == 404
    assert api_for(activity_world.users["other_worker"]).get(f"/api/v1/notices/{middle.pk}").status_code == 404
    assert NoticeRead.objects.filter(notice=hidden).count() == 0


def test_hot_list_is_the_pages_hot_list(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    now = timezone.now()
    quiet = _notice(activity_world, "少人看", publish_at=now - timedelta(days=2))
    popular = _notice(activity_world, "多人看", publish_at=now - timedelta(days=3))
    _notice(activity_world, "老人专属", audience="tag", tag=activity_world.tags["老人"])
    _notice(activity_world, "很久以前", publish_at=now - timedelta(days=60))
    for name in ("resident", "young"):
        services.notice_mark_read(user=activity_world.users[name], notice=popular)
    services.notice_mark_read(user=activity_world.users["resident"], notice=quiet)
    hot = api_for(activity_world.users["young"]).get("/api/v1/notices/hot").json()
    assert [n["title"] for n in hot] == ["多人看", "少人看"]
    assert hot[0]["read_count"] == 2
    page = client_for(activity_world.users["young"]).get("/notices/").content.decode()
    section = page[page.index('id="hot-list"') :]
    assert section.index("多人看") < section.index("少人看")


def test_staff_create_and_edit_through_the_services(activity_world: ActivityWorld) -> None:
    worker = api_for(activity_world.users["worker"])
    made = worker.post(
        "/api/v1/notices",
        {
            "community_id": activity_world.tree.community.pk,
            "title": "停水通知",
            "body": PAYLOADS,
            "category": "notice",
            "audience": "tag",
            "tag_id": activity_world.tags["老人"].pk,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    data = made.json()
    notice = Notice.objects.get(pk=data["id"])
    assert notice.author == activity_world.users["worker"]
    assert "<script" not in notice.body
    assert "<iframe" not in notice.body
    assert data["body"] == notice.body
    assert data["tag_id"] == activity_world.tags["老人"].pk
    assert AuditEvent.objects.filter(action="notice.published", object_id=str(notice.pk)).count() == 1
    assert api_for(activity_world.users["resident"]).get(f"/api/v1/notices/{notice.pk}").status_code == 200
    assert api_for(activity_world.users["young"]).get(f"/api/v1/notices/{notice.pk}").status_code == 404
    # Change only what is sent; the read count stays.
    later = (timezone.now() + timedelta(days=7)).isoformat()
    changed = worker.patch(
        f"/api/v1/notices/{notice.pk}",
        {"pinned": True, "audience": "community", "expires_at": later, "body": '<p onmouseover="x()">更新</p>'},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    notice.refresh_from_db()
    assert notice.title == "停水通知"
    assert notice.pinned
    assert notice.audience == "community"
    assert notice.tag is None
    assert notice.body == "<p>更新</p>"
    assert notice.read_count == 1
    assert notice.expires_at is not None
    assert AuditEvent.objects.filter(action="notice.changed", object_id=str(notice.pk)).count() == 1
    assert api_for(activity_world.users["young"]).get(f"/api/v1/notices/{notice.pk}").status_code == 200
    cleared = worker.patch(f"/api/v1/notices/{notice.pk}", {"expires_at": None}, content_type="application/json")
    assert cleared.json()["expires_at"] is None
    # Staff reach a scheduled notice to change it; readers do not see it.
    scheduled = _notice(activity_world, "下周停电", publish_at=timezone.now() + timedelta(days=3))
    renamed = worker.patch(f"/api/v1/notices/{scheduled.pk}", {"title": "下周三停电"}, content_type="application/json")
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "下周三停电"
    assert api_for(activity_world.users["resident"]).get(f"/api/v1/notices/{scheduled.pk}").status_code == 404


def test_who_may_publish_and_edit(activity_world: ActivityWorld) -> None:
    body = {"community_id": activity_world.tree.community.pk, "title": "t", "body": "<p>x</p>"}
    notice = _notice(activity_world, "通知")
    resident = api_for(activity_world.users["resident"])
    other = api_for(activity_world.users["other_worker"])
    before = _snapshot()
    assert resident.post("/api/v1/notices", body, content_type="application/json").status_code == 403
    assert (
        resident.patch(f"/api/v1/notices/{notice.pk}", {"title": "x"}, content_type="application/json").status_code
        == 403
    )
    assert resident.post(f"/api/v1/notices/{notice.pk}/cover", {"cover": photo()}).status_code == 403
    assert other.post("/api/v1/notices", body, content_type="application/json").status_code == 404
    assert (
        other.patch(f"/api/v1/notices/{notice.pk}", {"title": "x"}, content_type="application/json").status_code == 404
    )
    assert other.delete(f"/api/v1/notices/{notice.pk}/cover").status_code == 404
    assert _snapshot() == before


def test_bad_input_answers_422_in_the_callers_language_and_changes_nothing(activity_world: ActivityWorld) -> None:
    notice = _notice(activity_world, "通知")
    worker = api_for(activity_world.users["worker"])
    worker_zh = api_for(activity_world.users["worker"], "zh-hans")
    other_tag = people_services.tags_ensure_default(community=activity_world.tree.other_community)[0]
    before = _snapshot()
    base = {"community_id": activity_world.tree.community.pk, "title": "t", "body": "<p>x</p>"}
    cases = [
        (base | {"title": " "}, "title", "Enter a title."),
        (base | {"body": "<script>alert(1)</script>"}, "body", "Write the text of the notice."),
        (base | {"category": "gossip"}, "category", "Choose a valid category."),
        (base | {"audience": "area", "area_id": 999999}, "area", "Choose an area of the community."),
        (base | {"audience": "tag"}, "tag", "Choose a tag of the community."),
        (base | {"expires_at": (timezone.now() - timedelta(days=1)).isoformat()}, "expires_at", "must expire after"),
        (base | {"publish_at": "2026-12-05T14:00:00"}, "publish_at", "Give the time with its time zone"),
    ]
    for payload, field, message in cases:
        answer = worker.post("/api/v1/notices", payload, content_type="application/json")
        assert answer.status_code == 422, (field, answer.content)
        details = answer.json()["error"]["details"]
        assert any(d["field"] == field and message in d["message"] for d in details), (field, details)
    answer = worker.post(
        "/api/v1/notices", base | {"audience": "tag", "tag_id": other_tag.pk}, content_type="application/json"
    )
    assert answer.status_code == 422
    zh = worker_zh.post("/api/v1/notices", base | {"title": ""}, content_type="application/json")
    assert zh.status_code == 422
    assert zh.json()["error"]["message"] == "部分内容填写有误。"
    assert zh.json()["error"]["details"] == [{"field": "title", "message": "请填写标题。"}]
    patch = worker.patch(f"/api/v1/notices/{notice.pk}", {"title": "", "pinned": True}, content_type="application/json")
    assert patch.status_code == 422
    naive = worker.patch(
        f"/api/v1/notices/{notice.pk}", {"expires_at": "2027-01-01T08:00:00"}, content_type="application/json"
    )
    assert naive.status_code == 422
    assert worker.post("/api/v1/notices", "{not json", content_type="application/json").status_code == 400
    assert _snapshot() == before


def test_api_clients_fetch_images_with_their_token(activity_world: ActivityWorld) -> None:
    """A token client follows ``cover_url`` with its token; someone who may not see the notice gets 404 and a
    request with neither session nor token is sent to sign in, as before."""
    notice = _notice(activity_world, "通知")
    worker = api_for(activity_world.users["worker"])
    url = worker.post(f"/api/v1/notices/{notice.pk}/cover", {"cover": photo()}).json()["cover_url"]
    resident = api_for(activity_world.users["resident"])
    assert resident.get("/api/v1/notices").status_code == 200
    image = _image(resident, url)
    assert image.format == "JPEG"
    assert api_for(activity_world.users["other_worker"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert Client(HTTP_AUTHORIZATION="Bearer anju_not_a_real_token").get(url).status_code == 302


def test_cover_upload_replace_and_remove(
    activity_world: ActivityWorld, client_for: Callable[..., Client], django_capture_on_commit_callbacks: Any
) -> None:
    notice = _notice(activity_world, "通知")
    services.notice_mark_read(user=activity_world.users["young"], notice=notice)
    worker = api_for(activity_world.users["worker"])
    up = worker.post(f"/api/v1/notices/{notice.pk}/cover", {"cover": photo(color="red")})
    assert up.status_code == 200, up.content
    data = up.json()
    assert data["cover_url"] == f"/notices/{notice.pk}/cover/"
    assert data["cover_thumb_url"] == f"/notices/{notice.pk}/cover/thumb/"
    assert data["read_count"] == 1
    # The URLs are the pages' permission-checked image views (a signed-in session, as in the phone app).
    resident = client_for(activity_world.users["resident"])
    full = _image(resident, data["cover_url"])
    assert max(full.size) == services.IMAGE_MAX_SIDE
    assert not full.getexif()
    assert max(_image(resident, data["cover_thumb_url"]).size) == services.THUMB_MAX_SIDE
    assert client_for(activity_world.users["other_worker"]).get(data["cover_url"]).status_code == 404
    listed = resident.get("/api/v1/notices").json()["results"][0]
    assert listed["cover_thumb_url"] == data["cover_thumb_url"]
    notice.refresh_from_db()
    old = notice.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        replaced = worker.post(f"/api/v1/notices/{notice.pk}/cover", {"cover": photo(color="blue")})
    assert replaced.status_code == 200
    notice.refresh_from_db()
    assert notice.cover.name != old
    assert not notice.cover.storage.exists(old)
    # Not an image: refused by name, nothing changed.
    before = _snapshot()
    bad = worker.post(f"/api/v1/notices/{notice.pk}/cover", {"cover": not_an_image()})
    assert bad.status_code == 422
    assert "virus.jpg" in str(bad.json())
    assert worker.post(f"/api/v1/notices/{notice.pk}/cover", {}).status_code == 422
    assert _snapshot() == before
    with django_capture_on_commit_callbacks(execute=True):
        removed = worker.delete(f"/api/v1/notices/{notice.pk}/cover")
    assert removed.status_code == 200
    assert removed.json()["cover_url"] is None
    notice.refresh_from_db()
    assert not notice.cover
    assert not notice.cover_thumb
    assert AuditEvent.objects.filter(action="notice.changed", object_id=str(notice.pk)).count() == 3
    # Removing again is a no-op, not an extra audit row.
    assert worker.delete(f"/api/v1/notices/{notice.pk}/cover").status_code == 200
    assert AuditEvent.objects.filter(action="notice.changed", object_id=str(notice.pk)).count() == 3


def test_activity_summary_with_photos(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = make_past_activity(activity_world)
    worker = api_for(activity_world.users["worker"])
    resident = api_for(activity_world.users["resident"])
    other = api_for(activity_world.users["other_worker"])
    upcoming = make_activity(activity_world)
    form = {"title": "平安宣传进小区：活动回顾", "body": "<p>民警讲解。</p><script>alert(1)</script>"}
    before = _snapshot()
    assert worker.post(f"/api/v1/activities/{activity.pk}/summary", form).status_code == 422  # no photos
    bad = worker.post(f"/api/v1/activities/{activity.pk}/summary", form | {"photos": [photo(), not_an_image()]})
    assert bad.status_code == 422
    assert "virus.jpg" in str(bad.json())
    early = worker.post(f"/api/v1/activities/{upcoming.pk}/summary", form | {"photos": [photo()]})
    assert early.status_code == 422
    assert "has not finished yet" in str(early.json())
    assert _snapshot() == before
    made = worker.post(
        f"/api/v1/activities/{activity.pk}/summary",
        form | {"photos": [photo("a.jpg", color="red"), photo("b.jpg", color="green")]},
    )
    assert made.status_code == 201, made.content
    data = made.json()
    notice = Notice.objects.get(activity=activity)
    assert data["id"] == notice.pk
    assert data["activity_id"] == activity.pk
    assert data["category"] == "activity"
    assert data["body"] == "<p>民警讲解。</p>"
    photos = list(NoticePhoto.objects.filter(notice=notice))
    assert [p["id"] for p in data["photos"]] == [p.pk for p in photos]
    assert data["photos"][1]["thumb_url"] == f"/notices/{notice.pk}/photos/{photos[1].pk}/thumb/"
    assert not _image(client_for(activity_world.users["resident"]), data["photos"][0]["url"]).getexif()
    assert AuditEvent.objects.filter(action="notice.summary_published").count() == 1
    again = worker.post(f"/api/v1/activities/{activity.pk}/summary", form | {"photos": [photo()]})
    assert again.status_code == 422
    assert "already has a summary" in str(again.json())
    assert resident.post(f"/api/v1/activities/{activity.pk}/summary", form | {"photos": [photo()]}).status_code == 403
    assert other.post(f"/api/v1/activities/{activity.pk}/summary", form | {"photos": [photo()]}).status_code == 404


def test_list_queries_do_not_grow(activity_world: ActivityWorld) -> None:
    api = api_for(activity_world.users["resident"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/notices").status_code == 200
            assert api.get("/api/v1/notices/hot").status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        _notice(activity_world, f"通知{n}", audience="tag", tag=activity_world.tags["老人"], pinned=n == 0)
    queries()  # warm up (the token's last use is stamped once)
    few = queries()
    for n in range(2, 7):
        _notice(activity_world, f"通知{n}", audience="area", area=activity_world.tree.area)
    assert queries() == few


def test_home_card_shows_the_cover_thumbnail(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    with_cover = _notice(activity_world, "有封面", cover=photo(size=(300, 200)))
    bare = _notice(activity_world, "无封面")
    home = client_for(activity_world.users["resident"]).get("/").content.decode()
    card = home[home.index('data-home-card="notices"') :]
    card = card[: card.index("</section>")]
    assert f'src="/notices/{with_cover.pk}/cover/thumb/"' in card
    assert f"/notices/{bare.pk}/cover/" not in card
    assert "有封面" in card
    assert "无封面" in card
