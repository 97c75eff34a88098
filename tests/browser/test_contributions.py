"""共建 in a browser: a worker records a ¥300,000 donation (over the threshold, so it waits), a second worker
approves it, and the project's public 公示 page shows it and the balance — read without signing in on a
phone-sized screen (no sideways scrolling of the page; the tables scroll in their own regions)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.contributions import services
from anju.contributions.models import MoneyEntry
from anju.testing.contributions import make_contributions_world
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_donation_recorded_approved_and_read_on_a_phone(page: Page, phone_page: Page, live_server: Any) -> None:
    cw = make_contributions_world()
    services.setting_set(actor=cw.worker, community=cw.tree.community, public=True, threshold="5000")
    project_url = f"/contributions/projects/{cw.project.pk}/"
    sign_in(page, cw.worker.username)
    page.goto(project_url)
    page.locator("#contributor").select_option("organisation")
    page.locator("#c-name").fill("乡贤理事会")
    page.locator("#kind").select_option("money")
    page.locator("#quantity").fill("300000")
    page.locator("#unit").select_option("yuan")
    page.locator("#record-contribution").click()
    expect(page.locator("main")).to_contain_text("经第二人审核后计入")
    expect(page.locator("#pending")).to_contain_text("300,000.00")
    expect(page.locator("#pending")).to_contain_text("须由另一人审核")  # not the recorder's to approve
    entry = MoneyEntry.objects.get()
    sign_in(page, cw.second.username)
    page.goto(project_url)
    page.locator(f'#pending tr[data-entry="{entry.pk}"] button[value=approve]').click()
    expect(page.locator("main")).to_contain_text("已通过")
    phone = phone_page
    phone.goto(f"/contributions/public/{cw.project.pk}/")
    expect(phone.locator('[data-money="balance"]')).to_contain_text("300,000.00")
    expect(phone.locator("#contributors")).to_contain_text("乡贤理事会")
    expect(phone.locator("#ledger")).to_contain_text("300,000.00")
    width = phone.evaluate("window.innerWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= width + 1
