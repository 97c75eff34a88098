"""A desk invitation at phone size (390×844): a worker issues it on the resident page; the resident opens it,
receives the code (file SMS backend: the code is read from the file), signs in and files an appeal. axe-core on
the resident's pages in normal and large text (长辈模式): no serious or critical violations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_resident_phone import axe_problems

from anju.appeals.models import Appeal
from anju.inbox.tasks import deliver_sms
from anju.people.models import Resident
from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MOBILE = "13755550123"


@pytest.fixture
def sms_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "sms.jsonl"
    settings.ANJU_SMS_BACKEND = "file"
    settings.ANJU_SMS_FILE = str(path)
    return path


def _context(browser: Browser, live_server: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # to inject the test-only axe-core
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def pages(
    browser: Browser, live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> Iterator[tuple[Page, Page]]:
    worker, resident = _context(browser, live_server), _context(browser, live_server)
    yield worker.new_page(), resident.new_page()
    worker.close()
    resident.close()


def _axe_both_modes(page: Page, where: str) -> None:
    problems = {"normal": axe_problems(page)}
    page.locator("form.elder-toggle button").first.dispatch_event("click")
    page.wait_for_load_state()
    expect(page.locator("html.elder")).to_have_count(1)
    problems["elder"] = axe_problems(page)
    page.locator("form.elder-toggle button").first.dispatch_event("click")
    page.wait_for_load_state()
    assert problems == {"normal": [], "elder": []}, where


def test_invitation_to_signed_in_resident_filing_an_appeal(pages: tuple[Page, Page], sms_file: Path) -> None:
    load_demo()
    worker, phone = pages
    resident = Resident.objects.active().filter(account__isnull=True).order_by("-id").first()
    assert resident is not None

    worker.goto("/accounts/login/")
    worker.locator("#id_username").fill("worker")
    worker.locator("#id_password").fill(DEMO_PASSWORD)
    worker.locator("form.form button[type=submit]").click()
    worker.goto(f"/people/residents/{resident.pk}/")
    worker.locator("#identified_by").select_option("id_card")
    worker.get_by_role("button", name="生成邀请").click()
    expect(worker.locator("svg.invite-qr")).to_be_visible()
    link = worker.locator("[data-invite-link]").get_attribute("href") or ""
    path = re.sub(r"^https?://[^/]+", "", link)
    assert path.startswith("/people/invite/")

    phone.goto(path)
    expect(phone.locator("main h1")).to_contain_text("欢迎")
    _axe_both_modes(phone, "invite")
    phone.locator("#id_mobile").fill(MOBILE)
    phone.locator("form.form button[type=submit]").click()
    expect(phone.locator("#id_code")).to_be_visible()
    expect(phone.locator("#id_code")).to_have_attribute("inputmode", "numeric")
    expect(phone.locator("#id_code")).to_have_attribute("autocomplete", "one-time-code")
    expect(phone.locator("main")).not_to_contain_text(MOBILE)
    _axe_both_modes(phone, "code")
    deliver_sms()  # the worker's job, run here
    lines = [json.loads(line) for line in sms_file.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1
    assert lines[0]["to"] == "137****0123"
    phone.locator("#id_code").fill(lines[0]["params"]["code"])
    phone.locator("form.form button[type=submit]").click()
    expect(phone.locator("main h1")).to_be_visible()
    resident.refresh_from_db()
    assert resident.account is not None

    phone.goto("/appeals/new/")
    phone.locator("#id_category").select_option(index=1)
    location = phone.locator("#id_location")
    if location.count():
        location.select_option(index=1)
    phone.locator("#id_description").fill("楼道灯坏了，晚上很黑")
    phone.locator("form.form button[type=submit]").first.click()
    expect(phone.locator("main h1")).to_be_visible()
    if phone.url.endswith("/appeals/new/"):  # similar appeals shown first: "not the same? submit again"
        phone.locator("form.form button[type=submit]").first.click()
    expect(phone).not_to_have_url(re.compile(r"/appeals/new/$"))
    assert Appeal.objects.filter(requester=resident.account).count() == 1


def test_sign_in_by_code_pages_at_phone_size(pages: tuple[Page, Page], sms_file: Path) -> None:
    load_demo()
    _worker, phone = pages
    account = Resident.objects.exclude(account__isnull=True).first()
    user = account.account if account is not None else None
    if user is None:
        from anju.accounts.models import User

        user = User.objects.exclude(mobile_sealed="").filter(grants__role="resident").first()
    assert user is not None
    phone.goto("/accounts/login/")
    phone.get_by_role("link", name="用短信验证码登录").click()
    _axe_both_modes(phone, "code start")
    phone.locator("#id_mobile").fill(user.mobile)
    phone.locator("form.form button[type=submit]").click()
    expect(phone.locator("#id_code")).to_have_attribute("inputmode", "numeric")
    expect(phone.locator("main")).not_to_contain_text(user.mobile)
    _axe_both_modes(phone, "code enter")
    deliver_sms()
    code = json.loads(sms_file.read_text(encoding="utf-8").splitlines()[-1])["params"]["code"]
    phone.locator("#id_code").fill(code)
    phone.locator("form.form button[type=submit]").click()
    expect(phone.locator(".topbar-user")).to_have_count(1)
