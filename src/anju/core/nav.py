"""The main navigation: each entry names the action that reveals it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise

from anju.access import policy


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    action: str
    section: str = ""


# Every app registers its own entries from its AppConfig.ready() with :func:`register`.
# ``order`` places an entry among all of them (tens, so an app can slot one in between).
_entries: dict[str, tuple[int, NavItem]] = {}


def register(item: NavItem, *, order: int) -> None:
    """Add ``item`` to the main navigation at ``order``. Registering one URL name twice with a different entry
    is a programming error and fails at start-up."""
    known = _entries.get(item.url_name)
    if known is not None and known != (order, item):
        raise ValueError(f"{item.url_name!r} is registered twice in the navigation")
    _entries[item.url_name] = (order, item)


def entries() -> list[NavItem]:
    return [item for _order, item in sorted(_entries.values(), key=lambda entry: entry[0])]


#: Each entry's URL by URL configuration and script prefix: reversing some thirty names cost every page 1 ms.
#: (No path is translated; were ``i18n_patterns`` ever used, the language would belong in the key.)
_urls: dict[tuple[str, str, str], str] = {}


def _url(url_name: str) -> str:
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), url_name)
    url = _urls.get(key)
    if url is None:
        if len(_urls) >= 4096:  # a bound, whatever prefixes a server passes in
            _urls.clear()
        url = _urls[key] = reverse(url_name)
    return url


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    items = []
    for item in entries():
        if not policy.can(user, item.action):
            continue
        url = _url(item.url_name)
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": current})
    # Only the most specific match is current: on /appeals/rates/ that is "Three rates", not also "Appeals".
    best = max((i for i in items if i["current"]), key=lambda i: len(str(i["url"])), default=None)
    for i in items:
        i["current"] = i is best
    return items
