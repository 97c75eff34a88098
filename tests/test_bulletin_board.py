"""The notice board's reading side, beyond test_bulletin: the "most read" list (recent, by readers, within the
audience, at most five), read counts per reader, and previous/next that skip what a reader may not see."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from anju.access.roles import Role
from anju.bulletin import selectors, services
from anju.bulletin.models import Notice, NoticeRead
from anju.testing import make_user
from anju.testing.activities import ActivityWorld

pytestmark = pytest.mark.django_db


def _notice(activity_world: ActivityWorld, title: str, days_ago: float = 1, **fields: Any) -> Notice:
    return services.notice_create(
        actor=activity_world.users["worker"],
        community=activity_world.tree.community,
        title=title,
        body="<p>内容</p>",
        publish_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


def _read(notice: Notice, readers: list[Any]) -> None:
    for reader in readers:
        services.notice_mark_read(user=reader, notice=notice)


def _hot_titles(page: str) -> list[str]:
    hot = page[page.index('id="hot-list"') : page.index("</ol>", page.index('id="hot-list"'))]
    return re.findall(r'<a href="/notices/\d+/">([^<]*)</a>', hot)


def test_hot_list_is_recent_most_read_within_the_audience(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    readers = [make_user(Role.RESIDENT, activity_world.tree.building) for _ in range(7)]
    counts = {"一号": 1, "二号": 5, "三号": 3, "四号": 2, "五号": 4, "六号": 0}
    for title, n in counts.items():
        _read(_notice(activity_world, title), readers[:n])
    _read(_notice(activity_world, "老黄历", days_ago=40), readers)  # most read, but not recent
    _read(_notice(activity_world, "已过期", days_ago=5, expires_at=timezone.now() - timedelta(hours=1)), readers)
    _read(_notice(activity_world, "老人专属", audience="tag", tag=activity_world.tags["老人"]), readers[:6])
    young = client_for(activity_world.users["young"]).get("/notices/").content.decode()
    assert _hot_titles(young) == ["二号", "五号", "三号", "四号", "一号"]
    elder = client_for(activity_world.users["resident"]).get("/notices/").content.decode()
    assert _hot_titles(elder) == ["老人专属", "二号", "五号", "三号", "四号"]
    assert [n.title for n in selectors.hot(activity_world.users["young"], limit=2)] == ["二号", "五号"]


def test_read_count_counts_readers_once(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    notice = _notice(activity_world, "停电通知")
    assert services.notice_mark_read(user=activity_world.users["young"], notice=notice) is True
    assert services.notice_mark_read(user=activity_world.users["young"], notice=notice) is False
    client = client_for(activity_world.users["resident"])
    for _ in range(3):
        page = client.get(f"/notices/{notice.pk}/").content.decode()
    notice.refresh_from_db()
    assert notice.read_count == 2
    assert NoticeRead.objects.filter(notice=notice).count() == 2
    assert "2" in page[page.index('id="notice-h"') : page.index("</p>", page.index('id="notice-h"'))]


def test_previous_and_next_skip_what_the_reader_cannot_see(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    first = _notice(activity_world, "第一篇", days_ago=4)
    _notice(activity_world, "老人专属", days_ago=3, audience="tag", tag=activity_world.tags["老人"])
    middle = _notice(activity_world, "第三篇", days_ago=2)
    _notice(activity_world, "过期了", days_ago=1.5, expires_at=timezone.now() - timedelta(hours=1))
    last = _notice(activity_world, "第五篇", days_ago=1)
    young = client_for(activity_world.users["young"])
    page = young.get(f"/notices/{middle.pk}/").content.decode()
    assert f'rel="prev" href="/notices/{first.pk}/"' in page
    assert f'rel="next" href="/notices/{last.pk}/"' in page
    elder_page = client_for(activity_world.users["resident"]).get(f"/notices/{middle.pk}/").content.decode()
    tagged = Notice.objects.get(title="老人专属")
    assert f'rel="prev" href="/notices/{tagged.pk}/"' in elder_page
    edge = young.get(f"/notices/{first.pk}/").content.decode()
    assert 'rel="prev"' not in edge
    assert 'rel="next"' in edge
    assert young.get(f"/notices/{tagged.pk}/").status_code == 404  # not addressed to her
