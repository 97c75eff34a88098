"""Booking a station space on a phone: a resident books the shared kitchen for next Saturday afternoon, finds
it in "my bookings", and a second resident sees the slot taken."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from anju.access.roles import Role
from anju.core.text import near_date
from anju.orgs.models import OrgUnit
from anju.site.demo import DEMO_PASSWORD, load_demo
from anju.spaces.models import Booking, Space
from anju.testing import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def test_resident_books_the_kitchen_on_a_phone_and_a_neighbour_sees_it_taken(
    phone_page: Page, browser: Browser, live_server: Any
) -> None:
    load_demo()
    neighbour = make_user(Role.RESIDENT, OrgUnit.objects.get(name="2栋"), username="neighbour")
    kitchen = Space.objects.get(name="共享厨房")
    today = timezone.localdate()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)

    page = phone_page
    sign_in(page, "resident", DEMO_PASSWORD)
    page.goto("/station/")
    page.get_by_role("link", name="共享厨房", exact=True).click()
    expect(page.locator("main h1")).to_have_text("共享厨房")
    # A resident books one date: no repeat rules, no calendar file; the date field shows today, prefilled.
    expect(page.locator("#repeat-fold")).to_have_count(0)
    expect(page.get_by_role("link", name="日历文件（iCalendar）")).to_have_count(0)
    expect(page.locator("#id_date")).to_have_value(today.isoformat())
    page.locator("#id_date").fill(saturday.isoformat())
    page.locator("#id_starts").fill("14:00")
    page.locator("#id_ends").fill("17:00")
    page.locator("#id_title").fill("邻里包饺子")
    page.locator("form[action*='/book/'] button[type=submit]").click()

    booking = Booking.objects.get(space=kitchen)
    expect(page).to_have_url(f"{live_server.url}/station/bookings/{booking.pk}/")
    expect(page.locator(".qr svg")).to_be_visible()  # the check-in code
    page.goto("/station/my/")
    row = page.locator("#my-upcoming tbody tr", has_text="共享厨房")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(near_date(saturday))  # the year only when it is not this year
    expect(row).to_contain_text("14:00")
    expect(row).to_contain_text("邻里包饺子")
    # The page fits the phone: nothing wider than the screen but the scrollable tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    other = context.new_page()
    try:
        sign_in(other, neighbour.username, TEST_PASSWORD)
        other.goto(f"/station/spaces/{kitchen.pk}/?date={saturday.isoformat()}")
        taken = other.locator("#space-calendar td[data-state=taken]")
        expect(taken).to_have_count(6)  # 14:00–17:00 in half hours
        expect(other.locator("#space-calendar tr[data-time='14:00'] td[data-state=taken]")).to_have_count(1)
        expect(other.locator("#space-calendar tr[data-time='17:00'] td[data-state=free]")).to_have_count(1)
        # Trying the taken afternoon anyway is refused with a message, and nothing is written.
        other.locator("#id_date").fill(saturday.isoformat())
        other.locator("#id_starts").fill("15:00")
        other.locator("#id_ends").fill("16:00")
        other.locator("#id_title").fill("聚餐")
        other.locator("form[action*='/book/'] button[type=submit]").click()
        expect(other.locator(".errorlist.nonfield")).to_contain_text("共享厨房")
        assert Booking.objects.filter(space=kitchen).count() == 1
    finally:
        context.close()


def test_staff_edit_a_space_and_its_photo_shows_on_the_space_page(
    page: Page, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    kitchen = Space.objects.get(name="共享厨房")
    image = tmp_path / "kitchen.png"
    Image.new("RGB", (640, 480), (240, 200, 80)).save(image)

    sign_in(page, "worker", DEMO_PASSWORD)
    page.goto(f"/station/spaces/{kitchen.pk}/")
    page.locator(f"a[href='/station/spaces/{kitchen.pk}/edit/']").click()
    page.locator("#id_weekly_limit").fill("1")
    page.locator("#id_hours_6").fill("")
    page.locator("#space-form button[type=submit]").click()
    expect(page.locator("ul.messages")).to_be_visible()
    kitchen.refresh_from_db()
    assert kitchen.weekly_limit == 1
    assert not kitchen.hours.filter(weekday=6).exists()

    # A wrong time span is shown at its field and changes nothing.
    page.locator("#id_hours_0").fill("20:00-08:00")
    page.locator("#space-form button[type=submit]").click()
    expect(page.locator("#space-form .errorlist.nonfield")).to_contain_text("20:00–08:00")
    assert kitchen.hours.filter(weekday=0).exists()

    page.goto(f"/station/spaces/{kitchen.pk}/edit/")
    page.locator("#id_photos").set_input_files(str(image))
    page.locator("#id_caption").fill("灶台和冰箱")
    page.locator("#photo-form button[type=submit]").click()
    expect(page.locator("#photos img")).to_have_count(1)
    page.goto(f"/station/spaces/{kitchen.pk}/")
    shown = page.locator("#space-photos img")
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("alt", "灶台和冰箱")
    # The image has loaded (decoded to its width): polled from the test, as wait_for_function evaluates its
    # predicate in the page, which the Content-Security-Policy (no 'unsafe-eval') refuses in Chromium 156.
    expect(shown).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('#space-photos img').naturalWidth") == 640

    # On a desktop the station's day grid uses the width of the page.
    page.goto(f"/station/{kitchen.station_id}/day/")
    grid = page.locator("#station-day").bounding_box()
    wrap = page.locator("#station-day").locator("xpath=..").bounding_box()
    assert grid is not None
    assert wrap is not None
    assert grid["width"] >= wrap["width"] - 4
