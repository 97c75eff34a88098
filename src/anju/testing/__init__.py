"""Builders for tests and benchmarks. They go through the real services."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.test import Client

from anju.accounts import services as account_services
from anju.accounts.models import User
from anju.orgs import services as org_services
from anju.orgs.models import Department, OrgUnit, UnitKind

TEST_PASSWORD = "correct-horse-battery-9"  # noqa: S105
_counter = itertools.count(1)


@dataclass
class Tree:
    province: OrgUnit
    city: OrgUnit
    district: OrgUnit
    street: OrgUnit
    community: OrgUnit
    area: OrgUnit
    grid: OrgUnit
    building: OrgUnit
    other_community: OrgUnit
    other_grid: OrgUnit
    department: Department
    other_department: Department


def unit(kind: str, name: str, parent: OrgUnit | None) -> OrgUnit:
    return org_services.orgunit_create(actor=None, kind=kind, name=name, parent=parent)


def build_tree(prefix: str = "") -> Tree:
    province = unit(UnitKind.PROVINCE, f"{prefix}湖北省", None)
    city = unit(UnitKind.CITY, "黄冈市", province)
    district = unit(UnitKind.DISTRICT, "黄州区", city)
    street = unit(UnitKind.STREET, "东湖街道", district)
    community = unit(UnitKind.COMMUNITY, "安居社区", street)
    area = unit(UnitKind.AREA, "原种场片区", community)
    grid = unit(UnitKind.GRID, "第1网格", area)
    building = unit(UnitKind.BUILDING, "1栋", grid)
    other_community = unit(UnitKind.COMMUNITY, "宝塔社区", street)
    other_grid = unit(UnitKind.GRID, "宝塔第1网格", other_community)
    other_street = unit(UnitKind.STREET, "赤壁街道", district)
    department = org_services.department_create(
        actor=None, name="东湖街道城管中队", kind=Department.Kind.URBAN_MANAGEMENT, unit=street
    )
    other_department = org_services.department_create(
        actor=None, name="赤壁街道城管中队", kind=Department.Kind.URBAN_MANAGEMENT, unit=other_street
    )
    return Tree(
        province,
        city,
        district,
        street,
        community,
        area,
        grid,
        building,
        other_community,
        other_grid,
        department,
        other_department,
    )


def make_user(
    role: str = "",
    unit: OrgUnit | None = None,
    *,
    username: str = "",
    department: Department | None = None,
    password: str = TEST_PASSWORD,
    mobile: str = "",
    **extra: Any,
) -> User:
    n = next(_counter)
    user = account_services.user_create(
        actor=None,
        username=username or f"user{n}",
        display_name=extra.pop("display_name", f"测试用户{n}"),
        password=password,
        mobile=mobile,
        validate_password=False,
    )
    if role and unit is not None:
        account_services.role_grant(actor=None, user=user, role=role, unit=unit, department=department)
    for key, value in extra.items():
        setattr(user, key, value)
    if extra:
        user.save()
    return user


def english_client(user: User | None = None) -> Client:
    """A test client that asks for the English pages, logged in as ``user`` when one is given."""
    client = Client()
    client.cookies["anju_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def api_client(user: User) -> Client:
    """A client that calls the API with a fresh token of ``user`` and asks for English answers."""
    token = account_services.token_create(actor=None, user=user, name="test", days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["anju_language"] = "en"
    return client


# --- concurrency tests --------------------------------------------------------------------------


@contextmanager
def sqlite_file_database(path: Path) -> Iterator[bool]:
    """Run the block's queries, and those of threads started in it, on a file copy of the SQLite test database.

    pytest-django's SQLite test database lives in memory with a shared cache, where one connection's
    write makes another's read fail at once ("database table is locked") instead of waiting, so threads
    cannot share it honestly. On SQLite this copies it (schema, triggers, rows) to ``path`` and points the
    default alias there, opened with the project's own options (WAL, busy timeout, ``BEGIN IMMEDIATE``):
    the embedded production setup. Each thread then opens its own connection to the file; close it with
    :func:`thread_connection`. On PostgreSQL nothing changes (use ``transaction=True`` tests) and the
    block gets ``False``.
    """
    if connection.vendor != "sqlite":
        yield False
        return
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    original_settings = connections.settings["default"]
    original = connections["default"]
    connections.settings["default"] = {**original_settings, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")
    try:
        yield True
    finally:
        connections["default"].close()
        connections["default"] = original
        connections.settings["default"] = original_settings


def racers_the_server_admits(wanted: int, *, spare: int = 20) -> int:
    """How many threads, each with its own connection, a race may start: ``wanted``, or on PostgreSQL at most the
    connections free now less ``spare`` (the test's own and those the other test process opens meanwhile; with 5
    spare, one racer of a hundred got a 503 in CI). Races beyond that would test ``max_connections``, not the
    code."""
    if connection.vendor != "postgresql":
        return wanted
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend')"
        )
        free = cursor.fetchone()[0]
    return min(wanted, free - spare)


@contextmanager
def thread_connection() -> Iterator[None]:
    """In a worker thread: the thread's own database connection, closed when the block ends."""
    try:
        yield
    finally:
        connection.close()


def email_everyone(settings: Any, monkeypatch: Any) -> None:
    """Turn email delivery on and give every account an address (``username@example.org``), so that
    ``inbox_send`` writes outbox rows, without storing an address on each account (see
    ``accounts.services.user_update`` for the real one)."""
    from anju.inbox import services as inbox_services

    settings.ANJU_EMAIL_ENABLED = True
    monkeypatch.setattr(inbox_services, "address_of", lambda user: f"{user.username}@example.org")
