"""The whole appeals loop in a real browser: the resident on a phone-sized screen files an appeal,
the worker dispatches it, the department liaison signs, handles and gives feedback, the worker
verifies, the resident rates it, and the three-rate page counts it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.accounts.models import User
from anju.appeals.models import Appeal, Status
from anju.appeals.rates.selectors import rates
from anju.orgs.models import OrgUnit
from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def step(page: Page, name: str, note: str = "") -> None:
    """Take a step on the appeal page: the primary one, one folded under "more actions", or a choice of the
    department's one handling form."""
    form = page.locator(f"form[data-step='{name}']")
    if form.count() == 0:
        form = page.locator("form[data-step='handle']")
        form.locator(f"input[name=action][value={name}]").check()
    elif not form.is_visible():
        page.locator("details[data-more-steps] > summary").click()
    if note:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-error]")).to_have_count(0)


def test_appeal_loop_resident_on_phone(phone_page: Page, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo(log=lambda *a: None)
    supervisor = User.objects.get(username="supervisor")
    _rows, before = rates(supervisor)
    page = phone_page
    building = OrgUnit.objects.get(name="1栋", parent__name="第1网格")

    # The resident files on the phone.
    sign_in(page, "resident")
    page.goto("/appeals/new/")
    page.locator("#id_category").select_option(label="路灯损坏")
    page.locator("#id_location").select_option(value=str(building.pk))
    page.locator("#id_description").fill("浏览器测试：1栋门口路灯不亮")
    page.locator("form.form button[type=submit]").last.click()
    if "/appeals/new/" in page.url:  # similar open appeals were suggested: file anyway
        expect(page.get_by_text("我也遇到").first).to_be_visible()
        page.locator("form.form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/appeals/\d+/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling
    appeal = Appeal.objects.get(description="浏览器测试：1栋门口路灯不亮")
    url = f"/appeals/{appeal.pk}/"

    # The worker dispatches it to the catalogue's default department.
    sign_in(page, "worker")
    page.goto(url)
    step(page, "dispatch")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", Status.DISPATCHED)
    appeal.refresh_from_db()
    assert appeal.department is not None
    assert appeal.department.name == "黄州区城市管理执法局"

    # The department liaison signs, contacts, and submits feedback.
    sign_in(page, "liaison")
    page.goto("/appeals/?view=department")
    expect(page.get_by_role("link", name=appeal.number)).to_be_visible()
    page.goto(url)
    step(page, "sign")
    step(page, "contact", "已电话联系王女士")
    step(page, "feedback", "已更换灯泡，恢复照明")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", Status.HANDLED)

    # The worker verifies.
    sign_in(page, "worker")
    page.goto(url)
    step(page, "verify", "现场核查已亮")

    # The resident rates it on the phone.
    sign_in(page, "resident")
    page.goto(url)
    form = page.locator("form[data-step='callback']")
    form.locator("input[name=resolved][value=yes]").check()
    form.locator("input[name=satisfaction][value=satisfied]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", Status.CLOSED_RESOLVED)
    expect(page.locator("ol.timeline")).to_contain_text("已更换灯泡，恢复照明")

    # The three-rate page counts it.
    sign_in(page, "supervisor")
    page.goto("/appeals/rates/")
    ratings = before.counts.get("ratings", 0) + 1
    satisfied = before.counts.get("satisfied", 0) + 1
    card = page.locator(".stat", has=page.locator("[data-rate=satisfaction]"))
    expect(card).to_contain_text(f"{satisfied}/{ratings}")
    resolved = before.counts.get("resolved", 0) + 1
    completed = before.counts.get("completed", 0) + 1
    expect(page.locator(".stat", has=page.locator("[data-rate=resolution]"))).to_contain_text(f"{resolved}/{completed}")
    expect(page.locator("table[data-rates]")).to_contain_text("黄州区城市管理执法局")
