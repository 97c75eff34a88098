"""The notice board: sanitised rich text, audience, pinned order, read counts, previous/next, hot list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from anju.bulletin import services
from anju.bulletin.models import Notice
from anju.orgs.models import UnitKind
from anju.testing import unit
from anju.testing.activities import ActivityWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAYLOADS = """
<p>停水通知</p>
<script>alert('x')</script>
<p onclick="steal()" onmouseover="steal()">点我</p>
<img src="https://example.org/a.png" onerror="steal()">
<iframe src="https://evil.example.com/"></iframe>
<a href="javascript:steal()">链接</a>
<svg onload="steal()"><script>steal()</script></svg>
<style>body{display:none}</style>
"""


def _notice(activity_world: ActivityWorld, title: str, **fields: Any) -> Notice:
    base: dict[str, Any] = {
        "actor": activity_world.users["worker"],
        "community": activity_world.tree.community,
        "body": "<p>内容</p>",
    }
    return services.notice_create(title=title, **(base | fields))


def test_rich_text_is_sanitised_in_the_page(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    worker = client_for(activity_world.users["worker"])
    response = worker.post(
        "/notices/new/", {"title": "停水通知", "category": "notice", "body": PAYLOADS, "audience": "community"}
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="停水通知")
    page = client_for(activity_world.users["resident"]).get(f"/notices/{notice.pk}/").content.decode()
    body = page[page.index('id="notice-body"') : page.index("</article>")]
    for bad in (
        "<script",
        "steal()",
        "onclick",
        "onerror",
        "onmouseover",
        "onload",
        "<iframe",
        "javascript:",
        "<style",
    ):
        assert bad not in body.lower(), bad
    assert "停水通知" in body
    assert "点我" in body
    assert "example.org" not in body  # an outside image is dropped whole (see the tracking-pixel test)


TRACKING_PIXEL = (
    '<p>请查收</p><img src="https://track.example.com/p.gif?reader=42" width="1" height="1" alt="">'
    '<img src="//track.example.com/p.gif"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    '<img src="http://track.example.com/p.gif"><img src="/media/../accounts/logout/">'
    '<img src="/notices/1/photos/2/thumb/" alt="现场照片"><img src="/media/bulletin/a.jpg" alt="通知图">'
    '<a href="https://www.example.com/guide">办事指南</a>'
)


def test_only_images_the_station_hosts_survive(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    """A tracking pixel (an outside <img>) would tell a third party who read the notice and when."""
    notice = _notice(activity_world, "像素", body=TRACKING_PIXEL)
    assert "track.example.com" not in notice.body
    assert "data:" not in notice.body
    assert "logout" not in notice.body
    assert notice.body.count("<img") == 2
    assert '<img src="/notices/1/photos/2/thumb/" alt="现场照片">' in notice.body
    assert '<img src="/media/bulletin/a.jpg" alt="通知图">' in notice.body
    assert '<a href="https://www.example.com/guide" rel="noopener noreferrer nofollow">办事指南</a>' in notice.body
    page = client_for(activity_world.users["resident"]).get(f"/notices/{notice.pk}/").content.decode()
    assert "track.example.com" not in page


def test_audience_pinned_expiry_reads_and_neighbours(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    now = timezone.now()
    old = _notice(activity_world, "旧闻", publish_at=now - timedelta(days=3))
    pinned = _notice(activity_world, "置顶：防诈骗", pinned=True, publish_at=now - timedelta(days=5))
    newer = _notice(activity_world, "新闻", publish_at=now - timedelta(days=1))
    _notice(activity_world, "已过期", publish_at=now - timedelta(days=9), expires_at=now - timedelta(days=1))
    _notice(activity_world, "未发布", publish_at=now + timedelta(days=1))
    _notice(activity_world, "老人专属", audience="tag", tag=activity_world.tags["老人"])
    elsewhere = unit(UnitKind.AREA, "别的片区", activity_world.tree.community)
    _notice(activity_world, "别的片区通知", audience="area", area=elsewhere)
    _notice(activity_world, "本片区通知", audience="area", area=activity_world.tree.area)
    elder = client_for(activity_world.users["resident"])
    young = client_for(activity_world.users["young"])
    elder_list = elder.get("/notices/").content.decode()
    elder_list = elder_list[elder_list.index('id="notice-list"') :]  # past the filters (category 新闻 = News)
    young_list = young.get("/notices/").content.decode()
    assert elder_list.index("置顶：防诈骗") < elder_list.index("新闻") < elder_list.index("旧闻")
    for hidden in ("已过期", "未发布", "别的片区通知"):
        assert hidden not in elder_list
    assert "老人专属" in elder_list
    assert "老人专属" not in young_list
    assert "本片区通知" in young_list
    # Reads count readers once each.
    elder.get(f"/notices/{old.pk}/")
    elder.get(f"/notices/{old.pk}/")
    young.get(f"/notices/{old.pk}/")
    old.refresh_from_db()
    assert old.read_count == 2
    page = young.get(f"/notices/{old.pk}/").content.decode()
    assert f"/notices/{newer.pk}/" in page  # next: the newer one
    assert f"/notices/{pinned.pk}/" in page  # previous: the older (pinned) one
    assert page.index('id="hot-list"') < page.index("旧闻", page.index('id="hot-list"'))
    other = client_for(activity_world.users["other_worker"])
    assert other.get(f"/notices/{old.pk}/").status_code == 404
    assert young.get("/notices/new/").status_code == 403


def test_bad_notices_are_refused(activity_world: ActivityWorld) -> None:
    with pytest.raises(ValidationError):
        _notice(activity_world, "空", body="<script>alert(1)</script>")
    with pytest.raises(ValidationError):
        _notice(activity_world, "标签", audience="tag", tag=None)
    with pytest.raises(ValidationError):
        _notice(activity_world, "过期", expires_at=timezone.now() - timedelta(days=1))
    assert Notice.objects.count() == 0


def test_resident_home_shows_notices_activities_and_registrations(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    from anju.activities import services as activity_services
    from anju.testing.activities import first_session, make_activity

    _notice(activity_world, "社区通知")
    session = first_session(make_activity(activity_world))
    activity_services.registration_create(actor=activity_world.users["resident"], session=session)
    page = client_for(activity_world.users["resident"]).get("/").content.decode()
    assert 'data-home-card="notices"' in page
    assert "社区通知" in page
    assert 'data-home-card="activities"' in page
    assert page.count("老年课堂") >= 2  # upcoming and my registrations
