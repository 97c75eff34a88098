"""The inbox in a real browser: the header badge, marking read in place with htmx, on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import ARTIFACTS

from anju.access.roles import Role
from anju.inbox.kinds import register
from anju.inbox.models import Message, NoticeSetting
from anju.inbox.services import inbox_send
from anju.testing import TEST_PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

register("tests.browser_parcel", "Parcel {number} is waiting")
register("tests.browser_overdue", "Overdue ({level}): appeal {number}")


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()


def test_badge_and_mark_read_in_place_on_a_phone(phone_page: Page, live_server: Any) -> None:
    page = phone_page
    tree = build_tree()
    resident = make_user(Role.RESIDENT, tree.building, username="inbox_phone")
    for n in (1, 2, 3):
        inbox_send(recipients=[resident], kind="tests.browser_parcel", community=tree.community, params={"number": n})
    sign_in(page, "inbox_phone")
    badge = page.locator("#inbox-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("3")

    page.locator(".topbar-inbox").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    rows = page.locator("li.inbox-thread")
    expect(rows).to_have_count(3)  # three parcels, nothing in common: three threads
    first = Message.objects.get(params__number=3)
    row = page.locator(f"#thread-{first.pk}")
    row.locator("form[hx-post] button").click()  # htmx: only the row, the heading and the badge change
    expect(row.locator(".inbox-new")).to_have_count(0)
    expect(badge).to_contain_text("2")
    expect(page.locator("#inbox-h")).to_contain_text("2")
    first.refresh_from_db()
    assert first.read_at is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling

    page.locator("#inbox-read-all button").click()  # mark all read
    expect(badge).to_be_hidden()
    expect(page.locator("#inbox-h")).not_to_contain_text("2")
    assert not Message.objects.filter(recipient=resident, read_at=None).exists()


def test_a_thread_of_overdue_notices_is_one_row_and_marking_it_read_drops_the_badge(
    phone_page: Page, live_server: Any
) -> None:
    page = phone_page
    tree = build_tree()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community, username="inbox_thread_phone")
    for level in (1, 2, 3):  # three notices about one overdue appeal
        inbox_send(
            recipients=[worker],
            kind="tests.browser_overdue",
            community=tree.community,
            params={"appeal": 77, "number": "A-77", "level": level},
            url="/inbox/",
        )
    inbox_send(
        recipients=[worker],
        kind="tests.browser_overdue",
        community=tree.community,
        params={"appeal": 78, "number": "A-78", "level": 1},
        url="/inbox/",
    )
    sign_in(page, "inbox_thread_phone")
    page.goto("/inbox/")
    badge = page.locator("#inbox-badge")
    expect(badge).to_contain_text("2")
    expect(page.locator("li.inbox-thread")).to_have_count(2)
    newest = Message.objects.filter(thread_key="appeal:77").order_by("-id").first()
    assert newest is not None
    row = page.locator(f"#thread-{newest.pk}")
    expect(row).to_contain_text("Overdue (3): appeal A-77")  # the newest on top
    expect(row.locator(".inbox-new")).to_contain_text("3")
    row.locator(".inbox-thread-read button").click()
    expect(badge).to_contain_text("1")
    expect(row.locator(".inbox-new")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-threads-phone.png"), full_page=True)
    assert Message.objects.filter(recipient=worker, read_at=None).count() == 1

    page.goto("/inbox/settings/")
    expect(page.locator("h1")).to_contain_text("通知设置")
    expect(page.locator('select[name="appeal.dispatched__app"]')).to_be_disabled()  # must-read
    page.locator('select[name="appeal.filed__app"]').select_option("now")
    page.locator('input[name="quiet_start"]').fill("22:00")
    page.locator('input[name="quiet_end"]').fill("07:00")
    page.locator("form.notice-settings button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("通知设置已保存")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    page.screenshot(path=str(ARTIFACTS / "inbox-settings-phone.png"), full_page=False)
    assert NoticeSetting.objects.filter(user=worker, kind="appeal.filed", channel="app", mode="now").exists()
