"""'My account' on a phone: reached from the header, saved in place with htmx, errors shown in the card."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.access.roles import Role
from anju.accounts.models import User
from anju.testing import TEST_PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def test_resident_sets_an_email_on_a_phone(phone_page: Page, live_server: Any) -> None:
    page = phone_page
    tree = build_tree()
    user = make_user(Role.RESIDENT, tree.building, username="phone.resident")
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("phone.resident")
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.locator("details.nav-menu > summary").tap()  # on a phone the account link comes with the menu
    page.locator("a.topbar-user").tap()
    expect(page).to_have_url(f"{live_server.url}/accounts/me/")

    card = page.locator("#my-details")
    card.locator("#id_email").fill("phone@")
    card.locator("button[type=submit]").tap()
    expect(page.locator("#my-details .has-error")).to_be_visible()  # swapped in place, no reload
    assert User.objects.get(pk=user.pk).email == ""

    page.locator("#my-details #id_email").fill("Phone.Resident@Example.org")
    page.locator("#my-details button[type=submit]").tap()
    expect(page.locator("#my-details .msg-success")).to_be_visible()
    expect(page.locator("#my-details #id_email")).to_have_value("Phone.Resident@example.org")
    assert User.objects.get(pk=user.pk).email == "Phone.Resident@example.org"
    page.wait_for_load_state()
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 360
