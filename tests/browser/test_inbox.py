"""The inbox in a real browser: the header badge, marking read in place with htmx, on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.access.roles import Role
from anju.inbox.kinds import register
from anju.inbox.models import Message
from anju.inbox.services import inbox_send
from anju.testing import TEST_PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

register("tests.browser_parcel", "Parcel {number} is waiting")


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
    rows = page.locator("li.inbox-message")
    expect(rows).to_have_count(3)
    first = Message.objects.get(params__number=3)
    row = page.locator(f"#message-{first.pk}")
    row.locator("form[hx-post] button").click()  # htmx: only the row and the badge change
    expect(row.locator(".badge-info")).to_have_count(0)
    expect(badge).to_contain_text("2")
    first.refresh_from_db()
    assert first.read_at is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling

    page.locator("#inbox-h ~ form button").click()  # mark all read
    expect(badge).to_be_hidden()
    expect(page.locator("#inbox-h")).not_to_contain_text("3")
    assert not Message.objects.filter(recipient=resident, read_at=None).exists()
