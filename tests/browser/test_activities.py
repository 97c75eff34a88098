"""On a phone: a resident registers for the elderly class and opens her check-in pass; the organiser checks her
in at the door from the code on the pass; attendance shows one.

No QR decoder can be installed here without adding a dependency (pyzbar needs the native zbar library), so the
test reads the pass the way a scanner would see it in two checks: the QR image in the page is exactly the QR of
the registration's signed check-in code (compared module for module with segno's rendering of that code), and
that signed code is then typed into the door page's code field, as a hand-held scanner does. The short code
printed under the QR is checked too.
"""

from __future__ import annotations

from typing import Any

import pytest
import segno
from playwright.sync_api import Browser, Page, expect

from anju.activities import services
from anju.activities.models import Registration
from anju.activities.testing import first_session, make_activity, make_world
from anju.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def _modules(svg: str) -> str:
    """The path data of the dark modules in segno's inline SVG (the picture itself, without ids or titles)."""
    start = svg.index(' d="') + 4
    return svg[start : svg.index('"', start)]


def test_resident_registers_on_a_phone_and_the_organiser_checks_her_in(
    phone_page: Page, browser: Browser, live_server: Any
) -> None:
    world = make_world()
    activity = make_activity(world)
    session = first_session(activity)
    page = phone_page

    sign_in(page, world.users["resident"].username)
    page.goto("/activities/")
    page.get_by_role("link", name=activity.title).click()
    expect(page.locator("main h1")).to_have_text(activity.title)
    page.locator(f"#session-{session.pk} form[action$='/register/'] button[type=submit]").click()
    expect(page.locator("#my-registrations")).to_contain_text("张桂兰")
    reg = Registration.objects.get(session=session)
    assert reg.status == Registration.Status.CONFIRMED
    page.locator("#my-registrations a[href$='/pass/']").click()
    qr = page.locator("#checkin-qr svg")
    expect(qr).to_be_visible()
    expect(page.locator("#short-code")).to_have_text(reg.short_code)
    shown = qr.evaluate("el => el.outerHTML")
    token = services.checkin_token(reg)
    assert _modules(shown) == _modules(segno.make(token, error="m").svg_inline(scale=6))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    door = context.new_page()
    try:
        sign_in(door, world.users["worker"].username)
        door.goto(f"/activities/sessions/{session.pk}/door/")
        door.locator("#code").fill(token)
        door.locator("form[action$='/door/'] button[type=submit]").click()
        expect(door.locator("#door-list")).to_contain_text("张桂兰")
        expect(door.locator("#attendance-count")).to_contain_text("1")
        door.locator("#code").fill(reg.short_code)  # scanned again: one check-in, "already checked in"
        door.locator("form[action$='/door/'] button[type=submit]").click()
        door.goto(f"/activities/{activity.pk}/attendance/")
        expect(door.locator("#attendance td.checked-in")).to_have_text("1")
        assert Registration.objects.filter(session=session, checked_in_at__isnull=False).count() == 1
    finally:
        context.close()
