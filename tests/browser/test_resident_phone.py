"""A resident's phone (360×800): the compact header and the menu laid over the page, tap targets, the booking
form's prefilled date, the anonymous report → progress lookup, her own appeal page, and axe-core on every page
she reaches, in normal and large text (长辈模式): no serious or critical violations.

axe-core is vendored for the tests only (``tests/browser/vendor/``, see its README); it is injected into the
page under test, so the browser context bypasses the site's Content-Security-Policy (the site itself never
serves it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS

from anju.appeals.models import Appeal, Status
from anju.site.demo import DEMO_PASSWORD, load_demo
from anju.spaces.models import Booking, Space

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 800}
HEADER_MAX_PX = 64
# Pages not to crawl: they change state on GET, are files, or leave the resident's pages.
SKIP = re.compile(r"/(logout|export|print|feed|ical|calendar\.ics|photos?/|code\.|media/|static/|admin/|api/)|format=")


@pytest.fixture
def phone(
    browser: Browser, live_server: Any, django_db_serialized_rollback: None, transactional_db: Any
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        bypass_csp=True,  # to inject the test-only axe-core
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"resident-{name}.png"), full_page=True)


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


SMALL_TARGETS_JS = """(min) => {
  const bad = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, summary, textarea';
  const inText = 'p, dd, li.msg, .timeline li, td.text, .muted';
  for (const el of document.querySelectorAll(controls)) {
    let r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    const card = el.closest('.tap-card, .appeal-list tr');
    const cardLink = '.tap-card > a:first-child, .tap-card-link, td.appeal-number a';
    if (card && el.matches(cardLink)) r = card.getBoundingClientRect();
    if (el.tagName === 'A' && el.closest(inText) && !el.classList.contains('btn')) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label');
      if ((label ? label.getBoundingClientRect() : r).height >= min) continue;
    }
    if (r.height < min - 0.5 || r.width < min - 0.5) {
      const text = (el.textContent || el.value || el.name || '').trim().slice(0, 30);
      bad.push(`${el.tagName.toLowerCase()} "${text}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return bad;
}"""
BROKEN_IMAGE_JS = "document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))"


def small_targets(page: Page, minimum: int) -> list[str]:
    """Controls smaller than ``minimum`` CSS pixels (links inside running text excepted, as WCAG does)."""
    found: list[str] = page.evaluate(SMALL_TARGETS_JS, minimum)
    return found


def resident_pages(page: Page, live_server: Any, limit: int = 40) -> list[str]:
    """Every page the resident reaches from her home by links (one of each URL shape: /appeals/12/ stands for
    every appeal), breadth first."""
    seen_shapes: set[str] = set()
    queue = ["/"]
    pages: list[str] = []
    while queue and len(pages) < limit:
        url = queue.pop(0)
        shape = re.sub(r"\d+", "N", url.split("?")[0])
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages.append(url)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != urlsplit(live_server.url).netloc:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query and "date=" not in parts.query else "")
            if not path.startswith("/") or SKIP.search(href) or "page=" in path:
                continue
            queue.append(path)
    return pages


def test_the_phone_chrome_is_compact_and_the_menu_lies_over_the_page(phone: Page) -> None:
    load_demo()
    page = phone
    sign_in(page, "resident")
    header = page.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] <= HEADER_MAX_PX, header
    main_top = page.locator("main").bounding_box()
    assert main_top is not None
    assert main_top["y"] <= HEADER_MAX_PX + 1
    page.locator("details.nav-menu > summary").tap()
    expect(page.locator("nav.nav a[href='/accounts/me/']")).to_be_visible()
    after = page.locator("main").bounding_box()
    assert after is not None
    assert after["y"] == main_top["y"]  # the open menu does not push the page down
    expect(page.locator(".topbar .elder-toggle button")).to_be_visible()
    shot(page, "menu-open")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_every_resident_page_passes_axe_and_has_big_enough_targets(phone: Page, live_server: Any) -> None:
    load_demo()
    page = phone
    public = ["/accounts/login/", "/appeals/report/", "/appeals/progress/"]
    failures: list[str] = []
    # The check itself can fail: an image without a text alternative is a critical violation.
    page.goto("/accounts/login/")
    page.evaluate(BROKEN_IMAGE_JS)
    assert any(p.startswith("image-alt") for p in axe_problems(page))
    for url in public:
        page.goto(url)
        failures += [f"{url}: {p}" for p in axe_problems(page)]
    sign_in(page, "resident")
    pages = resident_pages(page, live_server)
    assert len(pages) >= 10, pages
    for elder in (False, True):
        if elder:
            page.goto("/")
            page.locator(".nav-menu > summary").tap()
            page.locator(".topbar .elder-toggle button").tap()
            expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        minimum = 44 if elder else 24
        for url in pages:
            page.goto(url)
            page.wait_for_load_state()
            mode = "elder" if elder else "normal"
            failures += [f"{mode} {url}: {p}" for p in axe_problems(page)]
            failures += [f"{mode} {url}: small target {t}" for t in small_targets(page, minimum)]
            if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
                failures.append(f"{mode} {url}: wider than the phone")
    assert not failures, "\n".join(failures)


def test_resident_books_with_the_prefilled_date(phone: Page, live_server: Any) -> None:
    load_demo()
    page = phone
    sign_in(page, "resident")
    kitchen = Space.objects.get(name="共享厨房")
    page.goto(f"/station/spaces/{kitchen.pk}/")
    today = timezone.localdate()
    expect(page.locator("#id_date")).to_have_value(today.isoformat())
    day = today + timedelta(days=2)
    page.locator("#id_date").fill(day.isoformat())
    page.locator("#id_starts").fill("15:00")
    page.locator("#id_ends").fill("16:00")
    page.locator("#id_title").fill("读书会")
    shot(page, "booking-form")
    page.locator("form[action*='/book/'] button[type=submit]").click()
    booking = Booking.objects.get(space=kitchen, title="读书会")
    assert timezone.localtime(booking.starts_at).date() == day
    expect(page).to_have_url(f"{live_server.url}/station/bookings/{booking.pk}/")
    expect(page.locator("#checkin-later")).to_be_visible()  # the button comes when check-in can work
    expect(page.get_by_role("button", name="立即签到")).to_have_count(0)
    shot(page, "booking-detail")


def test_anonymous_report_then_progress_lookup(phone: Page, live_server: Any) -> None:
    load_demo()
    page = phone
    page.goto("/accounts/login/")
    page.locator("[data-report-link]").tap()
    expect(page).to_have_url(f"{live_server.url}/appeals/report/")
    page.locator("#id_community").select_option(label="安居社区")
    page.locator("#id_category").select_option(index=1)
    page.locator("#id_address").fill("5栋楼下")
    page.locator("#id_description").fill("楼道灯坏了，晚上很黑")
    page.locator("#id_contact_name").fill("李大爷")
    page.locator("#id_contact_mobile").fill("13912345678")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_have_text("感谢您的反映")
    appeal = Appeal.objects.get(address__startswith="5栋楼下")
    expect(page.locator("main")).to_contain_text(appeal.number)
    shot(page, "reported")
    page.get_by_role("link", name="查询办理进度").tap()
    page.locator("#id_number").fill(appeal.number)
    page.locator("#id_mobile").fill("13900000000")  # a wrong number first
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".errorlist, .msg-error, .form-errors").first).to_be_visible()
    page.locator("#id_mobile").fill("13912345678")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-progress-result]")).to_be_visible()
    expect(page.locator("[data-stop='received']")).to_have_attribute("aria-current", "step")
    expect(page.locator("main")).not_to_contain_text("李大爷")
    shot(page, "progress")


def test_the_resident_reads_her_appeal_as_a_progress_line(phone: Page) -> None:
    load_demo()
    page = phone
    sign_in(page, "resident")
    mine = (
        Appeal.objects.filter(requester__username="resident", status=Status.DISPATCHED).first()
        or Appeal.objects.filter(requester__username="resident").first()
    )
    assert mine is not None
    page.goto(f"/appeals/{mine.pk}/")
    expect(page.locator("[data-resident-view]")).to_be_visible()
    expect(page.locator("[data-progress]")).to_be_visible()
    expect(page.locator("text=下一步")).to_have_count(0)
    expect(page.locator("text=期限")).to_have_count(0)  # no deadline or whistle tables
    shot(page, "appeal")
