"""Reads that may go to the read replica (``DATABASE_REPLICA_URL``): dashboards, exports and reports.

A function marked :func:`reads` (a view, a selector, a home card) runs its queries on the ``replica`` database
when :func:`replica_alias` says it may; everything else, and every write, goes to ``default``. The replica is
a PostgreSQL streaming standby, so what it answers may be a little behind; it is never asked:

- when no replica is configured (the embedded SQLite setup, and PostgreSQL without ``DATABASE_REPLICA_URL``);
- inside a transaction on the primary (a service reading what it is about to write);
- for a request that is not GET or HEAD, and for ``ANJU_REPLICA_STICKY_SECONDS`` after this client sent one
  (:class:`RecentWriteMiddleware` leaves a short-lived cookie), so that whoever just wrote reads it back;
- once a function has written in this scope (its later reads follow its write to the primary);
- for ``ANJU_REPLICA_RETRY_SECONDS`` after the replica failed to answer: the request is served from the
  primary instead, never with an error.

Routing is done by :class:`ReplicaRouter` (``DATABASE_ROUTERS``), so the marked code needs no ``.using()``.
When the replica lags by more than ``ANJU_REPLICA_LAG_WARN_SECONDS`` a page read from it says so
(:func:`lag_notice`, shown by the page shell as "数据延迟约 N 秒").
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

log = logging.getLogger(__name__)

DEFAULT = "default"
REPLICA = "replica"
#: The cookie a write leaves: for its lifetime this client's reads stay on the primary.
WROTE_COOKIE = "anju_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_METHODS = frozenset({"GET", "HEAD"})

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RequestState:
    """What this request allows and did: set by :class:`RecentWriteMiddleware` (:func:`request_scope`)."""

    may_read_replica: bool = True
    used_replica: bool = False
    wrote: bool = False


@dataclass
class _Scope:
    """One outermost :func:`reads` call: where its reads go, and whether it has written since."""

    alias: str
    wrote: bool = False
    #: Set by :func:`primary`: every read goes to the primary, even one Django would send where the row it
    #: starts from was read (``instance._state.db``, say a user read from the replica).
    forced: bool = False


_request: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar("anju_replica_request", default=None)
_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("anju_replica_scope", default=None)

_down_lock = threading.Lock()
_down_until = 0.0  # time.monotonic() before which the replica is not asked again


@contextlib.contextmanager
def request_scope(*, may_read_replica: bool = True) -> Iterator[RequestState]:
    """One request's replica state: whether its reads may go to the replica, and whether it used it or wrote."""
    state = RequestState(may_read_replica=may_read_replica)
    token = _request.set(state)
    try:
        yield state
    finally:
        _request.reset(token)


def configured() -> bool:
    """Whether a replica database is configured at all."""
    return REPLICA in settings.DATABASES


def sticky_seconds() -> int:
    return int(getattr(settings, "ANJU_REPLICA_STICKY_SECONDS", 15))


def retry_seconds() -> int:
    return int(getattr(settings, "ANJU_REPLICA_RETRY_SECONDS", 30))


def lag_warn_seconds() -> float:
    return float(getattr(settings, "ANJU_REPLICA_LAG_WARN_SECONDS", 5))


def mark_down(exc: BaseException | None = None) -> None:
    """The replica did not answer: read from the primary for the next ``ANJU_REPLICA_RETRY_SECONDS``."""
    global _down_until
    with _down_lock:
        _down_until = time.monotonic() + retry_seconds()
    log.warning("read replica unavailable, reading from the primary for %ss: %s", retry_seconds(), exc)
    if REPLICA in settings.DATABASES:
        with contextlib.suppress(DatabaseError):  # closing a broken connection
            connections[REPLICA].close()


def mark_up() -> None:
    """Forget an earlier failure (tests, and an operator who has fixed the replica)."""
    global _down_until
    with _down_lock:
        _down_until = 0.0


def is_down() -> bool:
    return time.monotonic() < _down_until


def replica_alias() -> str:
    """The database alias reads should use here and now: ``"replica"`` or, whenever that is not safe or not
    possible, ``"default"`` (see the module's docstring for when)."""
    if not configured():
        return DEFAULT
    if connections[DEFAULT].in_atomic_block:
        return DEFAULT
    state = _request.get()
    if state is not None and (not state.may_read_replica or state.wrote):
        return DEFAULT
    scope = _scope.get()
    if scope is not None and scope.wrote:
        return DEFAULT
    if is_down():
        return DEFAULT
    return REPLICA


def _reachable() -> bool:
    try:
        connections[REPLICA].ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        mark_down(exc)
        return False
    return True


def reads(fn: F) -> F:
    """Run ``fn``'s reads on the replica when :func:`replica_alias` allows it.

    Nested calls share the outermost scope. When a database error interrupts ``fn`` on the replica before
    ``fn`` wrote anything, ``fn`` runs again on the primary (a read is safe to repeat; the replica is marked
    down if it no longer answers, and a query cancelled by the standby's recovery is simply read again); after
    a write the error is raised."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _scope.get() is not None:
            return fn(*args, **kwargs)
        alias = replica_alias()
        if alias == REPLICA and not _reachable():
            alias = DEFAULT
        if alias == DEFAULT:
            return fn(*args, **kwargs)
        scope = _Scope(alias=alias)
        state = _request.get()
        if state is not None:
            state.used_replica = True
        token = _scope.set(scope)
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if scope.wrote:
                raise
            if not _reachable_after_error():
                mark_down(exc)
            else:
                log.warning("read replica query failed, reading from the primary: %s", exc)
        finally:
            _scope.reset(token)
        token = _scope.set(_Scope(alias=DEFAULT))  # again, on the primary, nested calls included
        try:
            return fn(*args, **kwargs)
        finally:
            _scope.reset(token)

    return cast(F, wrapper)


@contextlib.contextmanager
def primary() -> Iterator[None]:
    """Reads inside go to the primary, even within a :func:`reads` scope (what must not be older than a value
    just read there, as :mod:`anju.core.stamp`'s answers)."""
    token = _scope.set(_Scope(alias=DEFAULT, forced=True))
    try:
        yield
    finally:
        _scope.reset(token)


def _reachable_after_error() -> bool:
    """After a database error in a replica scope: does the replica still answer?"""
    conn = connections[REPLICA]
    try:
        conn.close()
        conn.ensure_connection()
        return bool(conn.is_usable())
    except DatabaseError:
        return False


def current_alias() -> str:
    """Where reads in the current scope go (``"default"`` outside a :func:`reads` scope)."""
    scope = _scope.get()
    if scope is None or scope.wrote or connections[DEFAULT].in_atomic_block:
        return DEFAULT
    return scope.alias


class ReplicaRouter:
    """Sends reads inside a :func:`reads` scope to the replica; every write, and everything else, to the
    primary. Nothing is ever migrated on the replica (it is a copy of the primary)."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        scope = _scope.get()
        if scope is not None and scope.forced:
            return DEFAULT
        alias = current_alias()
        return alias if alias != DEFAULT else None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        state = _request.get()
        if state is not None:
            state.wrote = True
        return DEFAULT

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def lag_seconds() -> float:
    """How far the replica is behind the primary, in seconds: zero when it has replayed all it received."""
    if not configured():
        return 0.0
    conn = connections[REPLICA]
    if conn.vendor != "postgresql":
        return 0.0
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
            row = cursor.fetchone()
    except (OperationalError, InterfaceError) as exc:
        mark_down(exc)
        return 0.0
    return max(0.0, float(row[0] or 0)) if row else 0.0


def lag_notice(request: HttpRequest | None = None) -> str:
    """The shell's notice on a page whose figures came from a replica lagging more than
    ``ANJU_REPLICA_LAG_WARN_SECONDS``; empty otherwise."""
    state = _request.get()
    if state is None or not state.used_replica or is_down():
        return ""
    lag = lag_seconds()
    if lag <= lag_warn_seconds():
        return ""
    seconds = round(lag)
    return ngettext(
        "The figures here may be about %(seconds)d second behind.",
        "The figures here may be about %(seconds)d seconds behind.",
        seconds,
    ) % {"seconds": seconds}


class RecentWriteMiddleware:
    """Keeps whoever just wrote on the primary: a request that is not GET or HEAD (or a GET that wrote) leaves
    a cookie for ``ANJU_REPLICA_STICKY_SECONDS``; while it lasts, and for the writing request itself, reads do
    not go to the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        may_read = request.method in READ_METHODS and not self._wrote_recently(request)
        with request_scope(may_read_replica=may_read) as state:
            response = self.get_response(request)
        if configured() and (request.method not in SAFE_METHODS or state.wrote):
            response.set_cookie(
                WROTE_COOKIE,
                str(int(time.time())),
                max_age=sticky_seconds(),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    @staticmethod
    def _wrote_recently(request: HttpRequest) -> bool:
        raw = request.COOKIES.get(WROTE_COOKIE)
        if not raw:
            return False
        try:
            return time.time() - int(raw) < sticky_seconds()
        except ValueError:
            return True
