"""The main navigation: each entry names the action that reveals it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anju.accounts import policy


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    action: str
    section: str = ""


NAV: list[NavItem] = [
    NavItem(_("Home"), "core:home", policy.AUTHENTICATED),
    NavItem(_("Inbox"), "inbox:list", policy.AUTHENTICATED),
    NavItem(_("Appeals"), "appeals:list", "appeal.view"),
    NavItem(_("Three rates"), "appeals:rates", "appeal.rates"),
    NavItem(_("Residents"), "people:residents", "people.view"),
    NavItem(_("Households"), "people:households", "people.view"),
    NavItem(_("Station and spaces"), "spaces:stations", "space.view"),
    NavItem(_("Activities"), "activities:list", "activity.view"),
    NavItem(_("Notice board"), "bulletin:list", "notice.view"),
    NavItem(_("My bookings"), "spaces:mine", "booking.view"),
    NavItem(_("Bookings to approve"), "spaces:approvals", "booking.manage"),
    NavItem(_("Org tree"), "orgs:tree", "orgunit.view"),
    NavItem(_("Departments"), "orgs:departments", "department.view"),
    NavItem(_("Task forces"), "orgs:taskforces", "taskforce.view"),
    NavItem(_("Appeal settings"), "appeals:config", "appeal.routes"),
    NavItem(_("Accounts"), "accounts:users", "user.view"),
    NavItem(_("Locked accounts"), "accounts:locked", "user.unlock"),
    NavItem(_("Audit trail"), "audit:events", "audit.view"),
    NavItem(_("Personal-data access log"), "audit:pii", "pii.log.view"),
    NavItem(_("Background work"), "jobs:status", "jobs.view"),
    NavItem(_("My account"), "accounts:profile", policy.AUTHENTICATED),
]


def nav_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    items = []
    for item in NAV:
        if not policy.can(user, item.action):
            continue
        url = reverse(item.url_name)
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": current})
    # Only the most specific match is current: on /appeals/rates/ that is "Three rates", not also "Appeals".
    best = max((i for i in items if i["current"]), key=lambda i: len(str(i["url"])), default=None)
    for i in items:
        i["current"] = i is best
    return items
