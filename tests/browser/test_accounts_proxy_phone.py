"""The daughter, her mother's family proxy (子女代办), answers the callback for her on a phone (390x844); axe-core
finds nothing serious or critical on the proxy pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_resident_phone import axe_problems, sign_in

from anju.appeals.models import Appeal, AppealEvent, Status
from anju.site.demo import load_demo

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(
    browser: Browser, live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # to inject the test-only axe-core
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def test_daughter_answers_the_callback_for_her_mother(phone: Page) -> None:
    load_demo(log=lambda *_a: None)
    waiting = Appeal.objects.filter(requester__username="resident", status=Status.VERIFIED).first()
    assert waiting is not None
    sign_in(phone, "daughter")
    phone.goto("/accounts/proxy/")
    assert axe_problems(phone) == []
    phone.locator("[data-testid=proxy-held] form button.btn-primary").first.click()
    expect(phone.locator("[data-testid=acting-banner]")).to_be_visible()
    assert axe_problems(phone) == []
    phone.goto(f"/appeals/{waiting.pk}/")
    expect(phone.locator("[data-testid=acting-banner]")).to_contain_text("王秀英")
    phone.locator("form[data-step=callback] button[type=submit]").click()
    expect(phone.locator("[data-proxy]").first).to_contain_text("王小红")
    waiting.refresh_from_db()
    assert waiting.status != Status.VERIFIED
    event = AppealEvent.objects.filter(appeal=waiting, action="callback").get()
    assert event.proxy is not None
    assert event.proxy.username == "daughter"
    phone.locator("[data-testid=acting-banner] button").click()
    expect(phone.locator("[data-testid=acting-banner]")).to_have_count(0)
    assert axe_problems(phone) == []
