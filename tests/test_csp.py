"""The Content-Security-Policy: a strict header on every answer, and pages that need nothing it forbids — no inline
script, no event-handler attribute (``onclick=``, ``hx-on``), no ``style`` attribute or element, no
``javascript:`` link. The pages are found by following links from each demo role's home page, so a new page is
checked without being listed here. ``tests/browser/test_csp.py`` loads key pages in Chromium and fails on any
CSP violation the browser reports."""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from anju.accounts.models import User
from anju.core.security import CONTENT_SECURITY_POLICY
from anju.site.demo import load_demo

pytestmark = pytest.mark.django_db


def drain(response: Any) -> None:
    """Read a file answer to its end, which closes the file (``close()`` would also end the test's database
    connection on PostgreSQL: it sends ``request_finished``)."""
    if response.streaming:
        b"".join(response.streaming_content)


EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Non-executable script types a page may carry inline (data for a script, never run as code).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
SKIP = ("/accounts/logout", "format=xlsx", ".ics", "/export/", "/static/", "/admin/")
PAGES_PER_ROLE = 80


class InlineCode(HTMLParser):
    """Collects every construct a strict CSP blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith(("on", "hx-on")):
                self.problems.append(f"<{tag} {name}=…> (an inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}> (an inline style)")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}> (a javascript: URL)")
            if name == "hx-vals" and (value or "").lstrip().startswith("js:"):
                self.problems.append(f"<{tag} hx-vals=js:…> (evaluated by htmx)")
        if tag == "style":
            self.problems.append("<style> (an inline style sheet)")
        if tag == "script" and not names.get("src") and (names.get("type") or "") not in DATA_SCRIPT_TYPES:
            self._in_inline_script = True
        if tag == "a" and names.get("href"):
            self.links.append(names["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.problems.append(f"<script>{data.strip()[:40]}…</script> (an inline script)")


def problems_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


def test_the_header_is_strict() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    for name, value in EXPECTED.items():
        assert directives[name] == value, name
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_the_checker_finds_each_kind_of_inline_code() -> None:
    html = (
        '<script>alert(1)</script><p onclick="x()">a</p><button hx-on:click="x()">b</button>'
        '<div style="color:red"></div><style>p{}</style><a href="javascript:x()">c</a>'
        '<script type="application/json">{"a": 1}</script><script src="/static/a.js"></script>'
    )
    assert len(problems_in(html)) == 6


def _crawl(client: Client, start: str) -> dict[str, list[str]]:
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    queue = deque([start])
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.popleft()
        if url in seen or any(part in url for part in SKIP):
            continue
        seen.add(url)
        response = client.get(url)
        drain(response)
        assert "Content-Security-Policy" in response, url
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = InlineCode()
        parser.feed(response.content.decode())
        if parser.problems:
            found[url] = parser.problems
        for href in parser.links:
            link = urldefrag(href)[0]
            parts = urlsplit(link)
            if link.startswith("/") and not parts.netloc and link not in seen:
                queue.append(link)
    assert len(seen) > 10, seen  # the crawl reached beyond the home page
    return found


def test_no_page_carries_inline_script_handler_or_style(media_root: None) -> None:
    load_demo(log=lambda *args: None)
    found = {}
    for username in ("admin", "worker", "resident", "liaison"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        found |= _crawl(client, "/")
    assert found == {}


def test_public_pages_and_the_api_docs_carry_the_header_and_no_inline_code() -> None:
    client = Client()
    for url in ("/accounts/login/", "/api/v1/docs", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert problems_in(response.content.decode()) == [], url


def test_static_files_and_api_answers_carry_the_header_too() -> None:
    for url in ("/static/anju/app.css", "/api/v1/openapi.json"):
        response = Client().get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        drain(response)
