"""A community worker's day on a phone (360×780): search and filter the appeals list, export what is shown,
bulk-accept with one confirmation; the appeal page shows one primary step for the worker and for the
department liaison, the rest folded. Screenshots (desktop and phone) go to ANJU_SCREENSHOT_DIR when set."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from anju.accounts.models import User
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, Channel, Status
from anju.orgs.models import OrgUnit
from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser

PHONE_TALL = {"width": 360, "height": 780}


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("ANJU_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def file_appeal(description: str, *, overdue: bool = False) -> Appeal:
    resident = User.objects.get(username="resident")
    building = OrgUnit.objects.get(name="1栋", parent__name="第1网格")
    appeal = intake.appeal_file(
        actor=resident,
        community=OrgUnit.objects.get(name="安居社区"),
        category=Category.objects.get(name="路灯损坏"),
        description=description,
        location=building,
        channel=Channel.APP,
    )
    if overdue:  # the SLA clock is tested elsewhere; here the list only reads the deadline
        Appeal.objects.filter(pk=appeal.pk).update(due_at=timezone.now() - dt.timedelta(days=3))
    return appeal


def listed_numbers(page: Page) -> list[str]:
    return page.locator("#appeal-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.number)")


def test_worker_searches_filters_and_exports_on_a_phone(phone_page: Page, live_server: Any) -> None:
    load_demo(log=lambda *a: None)
    late = file_appeal("浏览器测试：北门路灯一直不亮", overdue=True)
    file_appeal("浏览器测试：南门路灯闪烁")
    page = phone_page
    page.set_viewport_size(PHONE_TALL)
    sign_in(page, "worker")
    page.goto("/appeals/?view=all")
    filters = page.locator("details.list-filters")
    expect(filters).not_to_have_attribute("open", "")  # folded on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    shot(page, "appeals-list-filters-folded-360.png")

    page.locator("#id_q").fill("浏览器测试")
    page.locator(".search-row button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"q=%E6%B5%8F"))
    assert len(listed_numbers(page)) == 2

    filters.locator("summary").click()
    page.locator("#id_deadline").select_option("overdue")
    shot(page, "appeals-list-filters-open-360.png")
    page.locator(".list-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"deadline=overdue"))
    assert listed_numbers(page) == [late.number]
    expect(page.locator("details.list-filters")).to_have_attribute("open", "")  # open while a filter is on
    badge = page.locator("#appeal-list [data-deadline=overdue]").first
    expect(badge).to_have_text(re.compile(r"^已逾期 3 天$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    shot(page, "appeals-list-filtered-360.png")

    with page.expect_download() as download:
        page.locator("[data-export]").click()
    data = download.value.path().read_bytes()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == listed_numbers(page)  # exactly what is shown


def test_worker_bulk_accepts_with_one_confirmation(page: Page, live_server: Any) -> None:
    load_demo(log=lambda *a: None)
    new = [file_appeal(f"浏览器测试：批量受理 {i}") for i in range(2)]
    sign_in(page, "worker")
    page.goto("/appeals/?view=worker&q=批量受理")
    shot(page, "appeals-list-desktop.png")
    for a in new:
        page.locator(f"#pick-{a.pk}").check()
    page.locator("#bulk-step").select_option("accept")
    page.locator("#bulk button[type=submit]").click()
    expect(page.locator("table[data-selected] tbody tr")).to_have_count(2)
    assert all(Appeal.objects.get(pk=a.pk).status == Status.RECEIVED for a in new)  # asked first
    page.locator("[data-confirm-bulk]").click()
    expect(page.locator("[data-result]")).to_contain_text("已完成 2 条诉求")
    assert all(Appeal.objects.get(pk=a.pk).status == Status.ACCEPTED for a in new)


def visible_step_forms(page: Page) -> int:
    return sum(1 for form in page.locator("[data-steps] form").all() if form.is_visible())


def test_one_primary_step_for_worker_and_liaison_on_a_phone(phone_page: Page, live_server: Any) -> None:
    load_demo(log=lambda *a: None)
    appeal = file_appeal("浏览器测试：一步一步来")
    url = f"/appeals/{appeal.pk}/"
    page = phone_page
    page.set_viewport_size(PHONE_TALL)

    sign_in(page, "worker")
    page.goto(url)
    expect(page.locator("[data-primary-step=accept]")).to_be_visible()
    assert visible_step_forms(page) == 1  # six cards before; one now, the rest folded
    shot(page, "appeal-worker-received-360.png")
    page.locator("[data-primary-step=accept] button[type=submit]").click()
    expect(page.locator(".msg-success, .msg.msg-success, [role=status]").first).to_contain_text("已受理")
    expect(page.locator("[data-primary-step=dispatch]")).to_be_visible()
    assert page.locator("[data-primary-step=dispatch] select[multiple]").count() == 0
    page.locator("[data-primary-step=dispatch] button[type=submit]").click()
    expect(page.get_by_text(re.compile(r"已派给.+，已通知联络员"))).to_be_visible()
    # Rejecting is folded away and asks first.
    expect(page.locator("form[data-step=reject]")).to_have_count(0)  # not offered once dispatched

    sign_in(page, "liaison")
    page.goto(url)
    expect(page.locator("[data-primary-step=sign]")).to_be_visible()
    page.locator("[data-primary-step=sign] button[type=submit]").click()
    expect(page.locator("[data-primary-step=handle]")).to_be_visible()
    assert visible_step_forms(page) == 1
    height = page.evaluate("document.documentElement.scrollHeight")
    shot(page, "appeal-liaison-handle-360.png")
    assert height < 3000, height  # was 3,547 px with six stacked forms
    form = page.locator("form[data-step=handle]")
    form.locator("input[name=action][value=contact]").check()
    form.locator("textarea[name=note]").fill("已电话联系居民")
    form.locator("button[type=submit]").click()
    expect(page.get_by_text("已保存：已联系诉求人。")).to_be_visible()
    form = page.locator("form[data-step=handle]")
    form.locator("input[name=action][value=feedback]").check()
    form.locator("textarea[name=note]").fill("已更换灯泡")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", Status.HANDLED)


def test_rejecting_asks_first_without_script(
    browser: Any, live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> None:
    load_demo(log=lambda *a: None)
    appeal = file_appeal("浏览器测试：不该受理的")
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", java_script_enabled=False, viewport=PHONE_TALL
    )
    page = context.new_page()
    try:
        sign_in(page, "worker")
        page.goto(f"/appeals/{appeal.pk}/")
        page.locator("details[data-more-steps] > summary").click()
        form = page.locator("form[data-step=reject]")
        form.locator("textarea[name=note]").fill("不属于社区受理范围")
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-irreversible]")).to_contain_text("此操作无法撤销")
        assert Appeal.objects.get(pk=appeal.pk).status == Status.RECEIVED
        shot(page, "appeal-reject-confirm-360.png")
        page.locator("form[data-confirm-step=reject] button[type=submit]").click()
        expect(page.locator("[data-status]").first).to_have_attribute("data-status", Status.REJECTED)
    finally:
        context.close()
