"""The demo community as a test world: every demo login signed in, and the registry's plaintext numbers.

Shared by the privacy tests (tests/test_people_profiles.py, tests/test_privacy_crawl.py)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.test import Client

from anju.accounts.models import User
from anju.people.models import Resident
from anju.site.demo import ACCOUNTS, load_demo

ROLES = [
    acc.username for acc in ACCOUNTS
]  # admin, supervisor, secretary, worker, gridworker, liaison, volunteer, resident
# Who may reveal a registry number (people.reveal) — and even they must not rebuild one without a reveal.
REVEALERS = frozenset({"admin", "secretary", "worker"})


@dataclass
class DemoWorld:
    clients: dict[str, Client]
    users: dict[str, User]
    residents: list[Resident]
    mobiles: dict[str, Resident] = field(default_factory=dict)  # plaintext mobile → resident
    id_numbers: dict[str, Resident] = field(default_factory=dict)  # plaintext ID number → resident


def restore_seed_data() -> None:
    """An earlier transactional test ends with a flush that also empties rows seeded by data migrations
    (the appeals catalogue the demo needs); put them back as the migration does."""
    from django.apps import apps

    from anju.appeals.models import Category

    if not Category.objects.exists():
        importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(apps, None)


def load_demo_world() -> DemoWorld:
    restore_seed_data()
    load_demo(log=lambda *args: None)
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    clients = {}
    for name in ROLES:
        client = Client()
        client.force_login(users[name])
        clients[name] = client
    residents = list(Resident.objects.select_related("household__address__unit").order_by("pk"))
    world = DemoWorld(clients=clients, users=users, residents=residents)
    for r in residents:
        if r.mobile:
            world.mobiles[r.mobile] = r
        if r.id_number:
            world.id_numbers[r.id_number] = r
    return world


# --- rebuilding an ID number from what is shown ------------------------------------------------------

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
EARLIEST = date(1900, 1, 1)


def check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_candidates(*, region: str, male: bool, shown_ids: list[str], births: list[date], limit: int) -> int:
    """How many GB 11643-valid ID numbers agree with everything shown, up to ``limit``.

    The attacker is given the region code (the community's county is public knowledge) and the gender;
    ``shown_ids`` are masked forms seen anywhere (``*`` hides a character); ``births`` the birth dates
    still possible after what is shown (a date, an age band, or every date when nothing is shown)."""
    found = 0
    for born in births:
        head = f"{region}{born:%Y%m%d}"
        for order in range(1 if male else 0, 1000, 2):
            first17 = f"{head}{order:03d}"
            candidate = first17 + check_char(first17)
            if all(
                len(mask) == 18 and all(m == "*" or m == c for m, c in zip(mask, candidate, strict=True))
                for mask in shown_ids
            ):
                found += 1
                if found >= limit:
                    return found
    return found


def dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def band_dates(low: int, high: int, today: date) -> list[date]:
    """Birth dates of someone aged ``low`` to ``high`` on ``today``."""
    day = min(today.day, 28)  # no 29 February in a year that has none
    last = date(today.year - low, today.month, day)
    first = date(today.year - high - 1, today.month, day) + timedelta(days=1)
    return dates_between(max(first, EARLIEST), last)


def as_text(response: Any) -> str:
    content = response.content
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
