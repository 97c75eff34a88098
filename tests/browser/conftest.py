"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright cannot download its own browser build here, so the system Chromium
(apt package ``chromium``) is launched. The background-networking flags keep it
from trying to reach Google's services on a machine without a network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

CHROMIUM = os.environ.get("ANJU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 10_000  # generous: CI machines have two cores and run a server beside the browser

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    # Playwright's sync API keeps an asyncio event loop running in the main
    # thread, so Django's ORM (test data, database flushes between tests) sees
    # a running loop and raises SynchronousOnlyOperation. Nothing here is
    # actually async: allow it, but only while Playwright runs, so the unit
    # tests (collected together with this conftest) keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def launch_chromium(playwright_driver: Playwright) -> Iterator[Callable[..., Browser]]:
    """Start a Chromium of this test's own with extra command-line flags (e.g. a fake camera playing a file the
    test wrote); it is closed after the test. ``browser`` and the pages on it stay as they are."""
    started: list[Browser] = []

    def launch(*extra_args: str) -> Browser:
        if not Path(CHROMIUM).exists():
            pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
        chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        started.append(chromium)
        return chromium

    yield launch
    for chromium in started:
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _screenshot_on_failure(request: pytest.FixtureRequest, page: Page) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    except Exception as exc:  # noqa: BLE001  a missing screenshot must not hide the real failure
        print(f"could not save a screenshot: {exc}")


def _context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=base_url, locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(
    browser: Browser,
    live_server: Any,
    django_db_serialized_rollback: None,
    transactional_db: Any,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A desktop-sized page (1280x800) whose relative URLs go to the live server.

    The live server needs a transactional database, and a transactional test ends by
    flushing every table, rows that data migrations seeded included. The serialized
    rollback puts those back before each test."""
    context = _context(browser, live_server.url, viewport=DESKTOP)
    tab = context.new_page()
    yield tab
    _screenshot_on_failure(request, tab)
    context.close()


@pytest.fixture
def phone_page(
    browser: Browser,
    live_server: Any,
    django_db_serialized_rollback: None,
    transactional_db: Any,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A phone-sized touch page (360x740), with the same database as ``page``."""
    context = _context(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    tab = context.new_page()
    yield tab
    _screenshot_on_failure(request, tab)
    context.close()
