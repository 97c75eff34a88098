"""On a phone: a resident registers for the elderly class and opens her check-in pass; the organiser checks her
in at the door from the code on the pass; attendance shows one.

The test reads the pass the way the organiser's camera does: it takes a picture of the QR code as the
resident's phone renders it (a screenshot of the element) and decodes it with zxing-cpp; nothing is taken from
the server's side. The decoded text is what the scan page receives (a hand-held scanner types it into the code
field; the camera page fills the same field). The short code printed under the QR is checked too.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ARTIFACTS

from anju.activities import services
from anju.activities.models import Registration
from anju.core.printing import PRINT_CSS
from anju.testing import TEST_PASSWORD
from anju.testing.activities import first_session, make_activity, make_activity_world

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def scan_qr(page: Page, selector: str) -> str:
    """What a camera pointed at the element reads: a picture of it on screen, decoded as a QR code."""
    picture = Image.open(io.BytesIO(page.locator(selector).screenshot()))
    codes = [c for c in zxingcpp.read_barcodes(picture) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"expected one QR code in {selector}, found {len(codes)}"
    return str(codes[0].text)


def test_resident_registers_on_a_phone_and_the_organiser_checks_her_in(
    phone_page: Page, browser: Browser, live_server: Any
) -> None:
    activity_world = make_activity_world()
    activity = make_activity(activity_world, soon=True)
    session = first_session(activity)
    page = phone_page

    sign_in(page, activity_world.users["resident"].username)
    page.goto("/activities/")
    # The list starts at the card's edge on a phone: no list indent.
    assert page.evaluate("getComputedStyle(document.querySelector('#activity-list')).paddingLeft") == "0px"
    page.get_by_role("link", name=activity.title).click()
    expect(page.locator("main h1")).to_have_text(activity.title)
    page.locator(f"#session-{session.pk} form[action$='/register/'] button[type=submit]").click()
    expect(page.locator("#my-registrations")).to_contain_text("张桂兰")
    reg = Registration.objects.get(session=session)
    assert reg.status == Registration.Status.CONFIRMED
    page.locator("#my-registrations a[href$='/pass/']").click()
    expect(page.locator("#checkin-qr")).to_be_visible()
    expect(page.locator("#short-code")).to_have_text(reg.short_code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    token = scan_qr(page, "#checkin-qr")
    assert token == services.checkin_token(reg)  # the pass carries this registration's signed code

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    door = context.new_page()
    try:
        sign_in(door, activity_world.users["worker"].username)
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


def test_the_sign_in_sheet_prints_clean_on_a4(page: Page, live_server: Any) -> None:
    """The organiser prints the 签到表 from the activity page: in print media the toolbar and the site's shell
    are gone, the table's header repeats on every page, and the names are on it (screenshot kept)."""
    activity_world = make_activity_world()
    activity = make_activity(activity_world, target_tags=[])
    session = first_session(activity)
    for who in ("resident", "young"):
        services.registration_create(actor=activity_world.users[who], session=session)
    sign_in(page, activity_world.users["worker"].username)
    page.goto(f"/activities/{activity.pk}/")
    page.locator(f"#session-{session.pk} a[data-print-link]").click()
    expect(page.locator("main.sheet h1")).to_have_text("签到表")
    expect(page.locator("[data-signin]")).to_contain_text("张桂兰")
    expect(page.locator(".print-toolbar")).to_be_visible()
    assert page.locator(f"link[href$='{PRINT_CSS}']").count() == 1
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    assert page.locator("nav.nav, header.topbar").count() == 0
    assert page.evaluate("getComputedStyle(document.querySelector('[data-signin] thead')).display") == (
        "table-header-group"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signin-sheet-print.png"), full_page=True)
    # Chromium's own print to PDF (what 打印 → 另存为 PDF makes): A4, one page for a short list.
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "signin-sheet-chromium.pdf").write_bytes(pdf)
