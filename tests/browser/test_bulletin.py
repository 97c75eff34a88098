"""On a phone: a community worker publishes the summary of a finished activity with photos from the activity's
page; the notice board shows it with its cover thumbnail, the notice its photos, and nothing is wider than
the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from anju.bulletin import services
from anju.bulletin.demo import demo_picture
from anju.bulletin.models import Notice, NoticePhoto
from anju.testing import TEST_PASSWORD
from anju.testing.activities import make_activity, make_activity_world

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def _loaded(page: Page, selector: str) -> int:
    """How many of the matching images have really loaded (a broken image has no natural width)."""
    return int(page.eval_on_selector_all(selector, "els => els.filter(e => e.complete && e.naturalWidth > 0).length"))


def _png(seed: int) -> dict[str, Any]:
    return {"name": f"photo-{seed}.png", "mimeType": "image/png", "buffer": demo_picture(seed).read()}


def test_worker_publishes_an_activity_summary_on_a_phone(phone_page: Page, live_server: Any) -> None:
    activity_world = make_activity_world()
    starts = timezone.now() - timedelta(days=2)
    activity = make_activity(
        activity_world,
        title="平安宣传进小区",
        space=None,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        registration_opens_at=starts - timedelta(days=7),
        registration_closes_at=starts - timedelta(hours=1),
    )
    services.notice_create(
        actor=activity_world.users["worker"],
        community=activity_world.tree.community,
        title="冬季用电安全提醒",
        body="<p>请勿在楼道充电。</p>",
        pinned=True,
        cover=demo_picture(1, "cover.png"),
    )
    page = phone_page
    sign_in(page, activity_world.users["worker"].username)
    page.goto(f"/activities/{activity.pk}/")
    page.locator("#activity-summary a").click()
    assert page.locator("#id_title").input_value().startswith("平安宣传进小区")  # suggested from the activity
    page.locator("#id_title").fill("平安宣传进小区：活动回顾")
    page.locator("#id_body").fill("<p>民警讲解了防诈骗知识。</p><script>alert(1)</script>")
    page.locator("#id_photos").set_input_files([_png(21), _png(22)])
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_have_text("平安宣传进小区：活动回顾")
    notice = Notice.objects.get(activity=activity)
    assert NoticePhoto.objects.filter(notice=notice).count() == 2
    expect(page.locator("#notice-photos img")).to_have_count(2)
    expect(page.locator("#notice-body")).to_have_text("民警讲解了防诈骗知识。")
    # The photos load lazily, and a lazy image does not hold up the load event: bring each into view and wait
    # until every image is done before counting (on a busy machine the count ran ahead of the second photo).
    photos = page.locator("#notice-photos img")
    for i in range(photos.count()):
        photos.nth(i).scroll_into_view_if_needed()
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#notice-photos img, #notice-cover')].every(e => e.complete)"
    )
    assert _loaded(page, "#notice-photos img, #notice-cover") == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("#notice-activity a")).to_have_attribute("href", f"/activities/{activity.pk}/")

    page.goto("/notices/")
    expect(page.locator(f"#notice-{notice.pk} img.notice-thumb")).to_be_visible()
    # Thumbnails load lazily: bring each into view (a phone shows the second below the fold), then count.
    thumbs = page.locator("#notice-list img.notice-thumb")
    for i in range(thumbs.count()):
        thumbs.nth(i).scroll_into_view_if_needed()
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#notice-list img.notice-thumb')].every(e => e.complete)"
    )
    assert _loaded(page, "#notice-list img.notice-thumb") == 2
    box = page.locator(f"#notice-{notice.pk} img.notice-thumb").bounding_box()
    assert box is not None
    assert box["width"] < 180  # a thumbnail beside the title, not a full-width picture
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"/activities/{activity.pk}/")
    expect(page.locator("#activity-summary a")).to_have_attribute("href", f"/notices/{notice.pk}/")
