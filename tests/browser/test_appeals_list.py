"""The appeal list on a 360px phone: each appeal is a card with its number and status on the first line,
nothing hidden behind sideways scrolling; on a desktop it stays a table with the status next to the number."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def test_appeal_list_is_readable_on_a_phone(phone_page: Page, live_server: Any) -> None:
    load_demo(log=lambda *a: None)
    page = phone_page
    sign_in(page, "worker")
    page.goto("/appeals/?view=all")
    rows = page.locator("#appeal-list tbody tr")
    expect(rows.first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling
    first = rows.first
    number = first.locator("td.appeal-number a").bounding_box()
    status = first.locator("td.appeal-status .badge").bounding_box()
    assert number is not None
    assert status is not None
    # The status is on screen, on the number's line, and the card fits the screen.
    assert status["x"] + status["width"] <= 360
    assert abs(status["y"] - number["y"]) < number["height"]
    card = first.bounding_box()
    assert card is not None
    assert card["x"] >= 0
    assert card["x"] + card["width"] <= 360
    assert first.locator("td.appeal-status").evaluate("td => getComputedStyle(td, '::before').content") == "none"
    # The other cells carry their column names as labels.
    label = first.locator("td[data-label]").nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"').strip()
    if os.environ.get("ANJU_SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["ANJU_SCREENSHOT_DIR"], "appeals-list-360.png"))


def test_appeal_list_stays_a_table_on_a_desktop(page: Page, live_server: Any) -> None:
    load_demo(log=lambda *a: None)
    sign_in(page, "worker")
    page.goto("/appeals/?view=all")
    headers = page.locator("#appeal-list thead th")
    expect(headers.nth(1)).to_be_visible()
    assert page.locator("#appeal-list tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
