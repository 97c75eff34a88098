"""On a phone (390x844): a volunteer asks for cover for her shift, a second volunteer takes it from the cover
requests, the roster shows the change, and the first sees it in "my shifts"; axe-core finds nothing serious or
critical on the duty pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS
from tests.browser.test_resident_phone import axe_problems

from anju.duty import seats
from anju.duty.models import Assignment
from anju.testing import TEST_PASSWORD
from anju.testing.duty import make_duty_world, shift_on

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_browser(
    browser: Browser, live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> Iterator[Any]:
    contexts = []

    def open_phone() -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,  # to inject the test-only axe-core
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def test_cover_asked_taken_and_shown_on_phones(phone_browser: Any) -> None:
    w = make_duty_world(3)
    shift = shift_on(w, timezone.localdate() + timedelta(days=3))
    first, second = w.volunteers[0], w.volunteers[1]
    mine = seats.shift_claim(actor=first.user, shift=shift)

    a = phone_browser()
    _sign_in(a, first.user.username)
    a.goto("/duty/mine/")
    assert axe_problems(a) == []
    card = a.locator(f"[data-assignment='{mine.pk}']")
    card.locator("input[name=note]").fill("临时出差")
    card.get_by_role("button", name="请人代班").click()
    expect(a.locator(f"[data-assignment='{mine.pk}']")).to_contain_text("已请代班")

    b = phone_browser()
    _sign_in(b, second.user.username)
    b.goto("/duty/swaps/")
    assert axe_problems(b) == []
    expect(b.locator("#swap-list")).to_contain_text("临时出差")
    b.get_by_role("button", name="我来代班").click()
    expect(b.locator("#my-shifts")).to_contain_text(shift.template.name)
    b.goto(f"/duty/?week={shift.day:%Y-%m-%d}")
    expect(b.locator(f"[data-shift='{shift.pk}'] .duty-mine")).to_be_visible()
    assert axe_problems(b) == []
    ARTIFACTS.mkdir(exist_ok=True)
    b.screenshot(path=str(ARTIFACTS / "duty-roster-phone.png"), full_page=True)

    a.goto("/duty/mine/")
    expect(a.locator("#my-shifts")).to_have_count(0)
    expect(a.locator("#my-history")).to_contain_text("已转交")
    assert Assignment.objects.get(shift=shift, status__in=Assignment.HOLDING).volunteer == second
