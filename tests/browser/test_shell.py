"""The UI shell in a real browser: sign-in, language, phone layout, elder mode, keyboard, htmx tree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from anju.access.roles import Role
from anju.accounts.models import User
from anju.site.demo import DEMO_PASSWORD, load_demo
from anju.testing import TEST_PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

ROOT_FONT_PX = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
SCROLL_WIDTH = "document.documentElement.scrollWidth"


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.form button[type=submit]").click()


def expect_home(page: Page, live_server: Any) -> None:
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state()  # the stylesheet too, before anything is measured


def page_width(page: Page) -> int:
    page.wait_for_load_state()
    return int(page.evaluate(SCROLL_WIDTH))


def nav_link(page: Page, href: str) -> Locator:
    return page.locator(f"nav.nav a[href='{href}']")


def test_worker_signs_in_sees_chinese_home_and_switches_to_english(page: Page, live_server: Any) -> None:
    load_demo()
    worker = User.objects.get(username="worker")
    sign_in(page, "worker")
    expect_home(page, live_server)

    # Chinese by default (the browser's Accept-Language is not consulted).
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".card-title", has_text="安居社区")).to_be_visible()
    expect(page.locator(".topbar-user")).to_have_text(worker.display_name)
    # Needs the compiled zh-Hans catalogue (src/anju/locale/zh_Hans/LC_MESSAGES/django.mo).
    expect(nav_link(page, "/")).to_have_text("首页")
    expect(nav_link(page, "/")).to_have_attribute("aria-current", "page")

    page.locator(".lang-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(nav_link(page, "/")).to_have_text("Home")
    expect(page.locator("main h1")).to_have_text(f"Hello, {worker.display_name}")
    expect(page.locator(".lang-switch button")).to_have_text("简体中文")
    worker.refresh_from_db()
    assert worker.preferred_language == "en"

    # The choice sticks across pages, and switching back works.
    nav_link(page, "/orgs/").click()
    expect(page).to_have_url(f"{live_server.url}/orgs/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".lang-switch").get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page).to_have_url(f"{live_server.url}/orgs/")


def test_resident_on_a_phone_has_no_overflow_a_usable_menu_and_large_text(phone_page: Page, live_server: Any) -> None:
    page = phone_page
    load_demo()
    sign_in(page, "resident")
    expect_home(page, live_server)
    expect(page.locator(".card-title", has_text="1栋")).to_be_visible()
    assert page_width(page) <= 360

    # On a phone the menu starts closed and opens with a tap.
    menu = page.locator("details.nav-menu")
    profile = nav_link(page, "/accounts/me/")
    expect(profile).to_be_hidden()
    menu.locator("summary").tap()
    expect(profile).to_be_visible()
    box = profile.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a tap target
    profile.tap()
    expect(page).to_have_url(f"{live_server.url}/accounts/me/")
    expect(page.locator("details.nav-menu[open]")).to_have_count(0)
    assert page_width(page) <= 360

    # Large text (长辈模式): <html class="elder"> and a bigger root font, kept across pages.
    page.goto("/")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    normal = page.evaluate(ROOT_FONT_PX)
    # On a phone the text-size and language controls come with the open menu; the header stays one row.
    expect(page.locator(".elder-toggle button")).to_be_hidden()
    page.locator("details.nav-menu > summary").tap()
    toggle = page.locator(".elder-toggle button")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.tap()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.wait_for_load_state()
    color, background = toggle.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert color != background, "the pressed toggle's label must stay readable"
    expect(page).to_have_url(f"{live_server.url}/")
    page.wait_for_function(f"{ROOT_FONT_PX} > {normal}")
    assert page_width(page) <= 360
    page.goto("/accounts/me/")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))

    # And off again.
    page.locator("details.nav-menu > summary").tap()
    page.locator(".elder-toggle button").tap()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    page.wait_for_function(f"{ROOT_FONT_PX} === {normal}")


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page: Page, live_server: Any) -> None:
    make_user(Role.COMMUNITY_WORKER, build_tree().community, username="fang")
    page.context.add_cookies([{"name": "anju_language", "value": "en", "url": live_server.url}])
    sign_in(page, "fang", "not-the-password")

    expect(page.locator(".errorlist")).to_have_text("The username, mobile number or password is not correct.")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_have_value("fang")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("nav.nav")).to_have_count(0)

    # Nothing was signed in: the home page sends the visitor back to the login page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    # The right password still works afterwards, and returns to the page asked for.
    page.locator("#id_username").fill("fang")
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("#id_password").press("Enter")
    expect_home(page, live_server)


def test_skip_link_is_the_first_tab_stop(page: Page, live_server: Any) -> None:
    make_user(Role.COMMUNITY_WORKER, build_tree().community, username="fang")
    sign_in(page, "fang", TEST_PASSWORD)
    expect_home(page, live_server)

    skip = page.locator("a.skip-link")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def child_item(parent: Locator, name: str) -> Locator:
    """The tree item directly under ``parent`` whose own link reads ``name``."""
    return parent.locator(":scope > ul > li", has=parent.page.locator(":scope > a", has_text=re.compile(f"^{name}$")))


def expand(item: Locator, children: list[str]) -> Locator:
    """Click an item's "N below" button; the children replace it in place. Returns the new list."""
    more = item.locator(":scope > button[hx-get]")
    expect(more).to_have_text(re.compile(rf"^{len(children)}\D"))
    more.click()
    expect(more).to_have_count(0)
    listed = item.locator(":scope > ul > li > a")
    expect(listed).to_have_text(children)
    return listed


def test_worker_expands_the_org_tree_with_htmx(page: Page, live_server: Any) -> None:
    tree_units = build_tree()  # a neighbouring community and a neighbouring street lie outside the worker's reach
    make_user(Role.COMMUNITY_WORKER, tree_units.community, username="fang")
    sign_in(page, "fang", TEST_PASSWORD)
    expect_home(page, live_server)
    nav_link(page, "/orgs/").click()
    expect(page).to_have_url(f"{live_server.url}/orgs/")

    # The worker's reach: their community and everything under it, plus the chain of units above.
    tree = page.locator("ul.tree")
    expect(tree.locator(":scope > li > a")).to_have_text(["湖北省"])
    province = tree.locator(":scope > li")
    # The first level arrives by htmx as the page loads.
    expect(province.locator(":scope > ul > li > a")).to_have_text(["黄冈市"])
    city = child_item(province, "黄冈市")
    expand(city, ["黄州区"])
    district = child_item(city, "黄州区")
    expand(district, ["东湖街道"])  # not 赤壁街道, and the count says so too
    street = child_item(district, "东湖街道")
    expand(street, ["安居社区"])  # not the neighbouring 宝塔社区
    community = child_item(street, "安居社区")
    expand(community, ["原种场片区"])
    area = child_item(community, "原种场片区")
    expand(area, ["第1网格"])
    grid = child_item(area, "第1网格")
    expand(grid, ["1栋"])
    expect(grid.locator(":scope > ul button[hx-get]")).to_have_count(0)  # buildings have nothing below
    expect(page.get_by_text("宝塔社区")).to_have_count(0)
    expect(page.get_by_text("赤壁街道")).to_have_count(0)

    grid.get_by_role("link", name="1栋", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/orgs/units/{tree_units.building.pk}/")
    expect(page.locator("main h1")).to_contain_text("1栋")
