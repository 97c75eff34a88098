"""The appeals configuration pages on a phone-sized screen: an administrator walks from the menu to each
page, a bad SLA value is refused with a message on the field, and a routing rule is set."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.appeals.models import Category, CategoryRoute, SlaPolicy
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


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1


def test_admin_configures_appeals_on_a_phone(phone_page: Page, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo(log=lambda *a: None)
    page = phone_page
    sign_in(page, "admin")
    page.goto("/appeals/config/")
    _no_sideways_scroll(page)
    for path in (
        "/appeals/config/categories/",
        "/appeals/config/routes/",
        "/appeals/config/sla/",
        "/appeals/config/satisfaction/",
        "/appeals/holidays/",
    ):
        expect(page.locator(f"main a[href='{path}']").first).to_be_visible()

    # An SLA value of 0 is refused on the field; nothing changes.
    policy = SlaPolicy.objects.filter(category=None).order_by("id").first()
    assert policy is not None
    before = policy.dispatch_value
    page.goto(f"/appeals/config/sla/{policy.pk}/")
    page.locator("#id_dispatch_value").fill("0")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".has-error .errorlist").first).to_be_visible()
    _no_sideways_scroll(page)
    policy.refresh_from_db()
    assert policy.dispatch_value == before

    # A routing rule for a community.
    community = OrgUnit.objects.filter(kind="community").order_by("path").first()
    assert community is not None
    category = Category.objects.get(code="noise")
    page.goto(f"/appeals/config/routes/?unit={community.pk}")
    _no_sideways_scroll(page)
    department = page.locator("#id_department option").nth(1)
    department_id = department.get_attribute("value")
    page.locator("#id_category").select_option(value=str(category.pk))
    page.locator("#id_department").select_option(value=department_id)
    page.locator("#route-form button[type=submit]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    route = CategoryRoute.objects.get(unit=community, category=category)
    assert str(route.department_id) == department_id
