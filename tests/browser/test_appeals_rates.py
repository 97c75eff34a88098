"""The three-rate page's charts on a phone-sized screen: drawn inside the screen, values readable."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def test_rate_charts_fit_a_phone(phone_page: Page, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo(log=lambda *a: None)
    page = phone_page
    sign_in(page, "supervisor")
    page.goto("/appeals/rates/")
    bars = page.locator("svg[data-chart=bars]")
    trend = page.locator("svg[data-chart=trend]")
    expect(bars).to_be_visible()
    expect(trend).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling
    for chart in (bars, trend):
        box = chart.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 360 + 1
    # Each bar's value and counts are written beside it and stay inside the drawing.
    label = bars.locator("g.chart-bar text").first
    text_box, chart_box = label.bounding_box(), bars.bounding_box()
    assert text_box is not None
    assert chart_box is not None
    assert text_box["x"] + text_box["width"] <= chart_box["x"] + chart_box["width"] + 1
    assert text_box["height"] >= 10  # readable, not shrunk to a speck
    # By community: the routing accuracy card and column, and the formula line, still within the screen.
    page.goto("/appeals/rates/?group=community")
    expect(page.locator("[data-rate=routing]")).to_be_visible()
    expect(page.locator("[data-formula]")).to_be_visible()
    assert page.locator("td[data-routing]").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    if os.environ.get("ANJU_SCREENSHOTS"):
        page.screenshot(path=os.environ["ANJU_SCREENSHOTS"], full_page=True)
