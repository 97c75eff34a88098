"""The Content-Security-Policy in Chromium: key pages (htmx pages, the camera door page with jsQR, charts, the
notice board, the API's Swagger page, the admin) load and work without one CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.activities.models import Session
from anju.bulletin.models import Notice
from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser

# Runs before any page script: every violation the browser reports is kept on window for the test to read.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push([e.violatedDirective, e.blockedURI || "inline", e.sourceFile + ":" + e.lineNumber].join(" "));
});
"""


def _watch(page: Page) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return console


def _sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def _visit(page: Page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]
    found += [f"{url}: {text}" for text in console]
    console.clear()
    return found


def test_key_pages_load_without_a_csp_violation(page: Page, live_server: Any) -> None:
    load_demo(log=lambda *args: None)
    notice = Notice.objects.exclude(cover="").first()
    session = Session.objects.order_by("starts_at").last()
    assert notice is not None
    assert session is not None
    console = _watch(page)
    violations = _visit(page, "/accounts/login/", console)
    _sign_in(page, "worker")
    for url in (
        "/",
        "/appeals/",
        "/appeals/rates/",
        f"/notices/{notice.pk}/",
        "/notices/",
        "/station/my/",
        "/people/",
        f"/activities/sessions/{session.pk}/door/",
        "/inbox/",
        "/accounts/profile/",
        "/api/v1/docs",
    ):
        violations += _visit(page, url, console)
    # The org tree page (htmx fragments).
    page.goto("/orgs/")
    page.wait_for_load_state("networkidle")
    violations += [f"/orgs/: {v}" for v in page.evaluate("window.__csp || []")]
    # The Swagger page renders its operations under the same policy.
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    violations += [f"/api/v1/docs: {v}" for v in page.evaluate("window.__csp || []")]
    violations += console
    assert violations == []


def test_the_admin_works_under_the_policy(page: Page, live_server: Any) -> None:
    load_demo(log=lambda *args: None)
    console = _watch(page)
    _sign_in(page, "admin")
    violations = _visit(page, "/admin/", console)
    violations += _visit(page, "/admin/accounts/user/", console)
    assert violations == []


def test_a_violation_is_reported_by_this_test(page: Page, live_server: Any) -> None:
    """The watcher itself works: an inline script injected into a page is blocked and caught."""
    _watch(page)
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('div'); s.innerHTML = '<img src=x onerror=\"1\">';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert "script-src" in page.evaluate("window.__csp[0]")
