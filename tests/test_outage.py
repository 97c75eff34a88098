"""While the database cannot be reached, pages and the API answer 503 with ``Retry-After`` in the
reader's language, rendered without the database, and the outage is logged at WARNING (not as a
server error). The database is made unreachable for real: the request runs in a thread whose own
connection points at a closed port (PostgreSQL) or a file that cannot be opened (SQLite); the
machine's PostgreSQL is never touched."""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, close_old_connections, connection, connections
from django.http import HttpResponse
from django.test import Client

from anju.access.roles import Role
from anju.accounts.services import token_create
from anju.core.middleware import OutageMiddleware, is_outage
from anju.testing import build_tree, make_user, sqlite_file_database


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def while_database_down(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread whose database connection cannot be opened; return what it returned."""
    out: dict[str, Any] = {}

    def run() -> None:
        conn = connections["default"]
        if conn.vendor == "sqlite":
            conn.settings_dict = {**conn.settings_dict, "NAME": "/nonexistent-anju-dir/down.sqlite3"}
        else:
            conn.settings_dict = {**conn.settings_dict, "HOST": "127.0.0.1", "PORT": str(_closed_port())}
        try:
            out["result"] = call()
        except BaseException as exc:  # noqa: BLE001  reported by the caller
            out["error"] = exc
        finally:
            conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if "error" in out:
        raise out["error"]
    return out["result"]


def _client(language: str = "") -> Client:
    client = Client(raise_request_exception=False)  # as in production: no test re-raising
    if language:
        client.cookies["anju_language"] = language
    return client


def _no_server_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    outages = [r for r in caplog.records if r.name == "anju.outage"]
    assert len(outages) == 1
    assert outages[0].levelno == logging.WARNING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"),
    [("", "暂时无法使用"), ("en", "Briefly unavailable")],
)
def test_a_page_whose_view_needs_the_database_answers_503_in_the_readers_language(
    caplog: pytest.LogCaptureFixture, language: str, text: str
) -> None:
    client = _client(language)
    response = while_database_down(lambda: client.post("/accounts/login/", {"username": "a", "password": "b"}))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Language"] == (language or "zh-hans")
    assert text in response.content.decode()
    _no_server_errors_logged(caplog)


@pytest.mark.django_db
def test_a_signed_in_page_fails_in_the_session_middleware_and_still_answers_503(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a session cookie the first query is the session read in a middleware, before any view."""
    user = make_user(Role.COMMUNITY_WORKER, build_tree().community)
    client = _client("en")
    client.force_login(user)
    response = while_database_down(lambda: client.get("/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Briefly unavailable" in response.content.decode()
    _no_server_errors_logged(caplog)


@pytest.mark.django_db
def test_the_api_answers_503_unavailable_with_its_error_body(caplog: pytest.LogCaptureFixture) -> None:
    user = make_user(Role.COMMUNITY_WORKER, build_tree().community)
    _token, secret = token_create(actor=user, user=user, name="outage test")
    client = _client("en")
    response = while_database_down(lambda: client.get("/api/v1/appeals", HTTP_AUTHORIZATION=f"Bearer {secret}"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "try again" in error["message"]
    _no_server_errors_logged(caplog)


@pytest.mark.django_db
def test_the_api_with_a_session_cookie_answers_the_same(caplog: pytest.LogCaptureFixture) -> None:
    user = make_user(Role.COMMUNITY_WORKER, build_tree().community)
    client = _client()
    client.force_login(user)
    response = while_database_down(lambda: client.get("/api/v1/appeals"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Content-Language"] == "zh-hans"
    _no_server_errors_logged(caplog)


def _wrapped(exc_class: type[Exception], cause: BaseException) -> Exception:
    try:
        raise exc_class(*cause.args) from cause
    except exc_class as exc:
        return exc


class _PsycopgLike(Exception):
    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


_PsycopgLike.__module__ = "psycopg"


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (_wrapped(OperationalError, _PsycopgLike("connection refused", None)), True),
        (_wrapped(OperationalError, _PsycopgLike("server closed the connection unexpectedly", None)), True),
        (
            _wrapped(OperationalError, _PsycopgLike("terminating connection due to administrator command", "57P01")),
            True,
        ),
        (_wrapped(OperationalError, _PsycopgLike("the database system is starting up", "57P03")), True),
        (_wrapped(OperationalError, _PsycopgLike("connection failure", "08006")), True),
        (_wrapped(InterfaceError, _PsycopgLike("connection already closed", None)), True),
        (_wrapped(OperationalError, sqlite3.OperationalError("unable to open database file")), True),
        (_wrapped(OperationalError, _PsycopgLike("deadlock detected", "40P01")), False),
        (_wrapped(OperationalError, _PsycopgLike("canceling statement due to statement timeout", "57014")), False),
        (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_lost_or_refused_connections_count_as_an_outage(exc: Exception, outage: bool) -> None:
    assert is_outage(exc) is outage


def test_other_database_errors_stay_server_errors(rf: Any) -> None:
    """A deadlock is a bug to look at, not an outage: the middleware leaves it to the 500 path."""
    middleware = OutageMiddleware(lambda request: HttpResponse())
    request = rf.get("/")
    deadlock = _wrapped(OperationalError, _PsycopgLike("deadlock detected", "40P01"))
    assert middleware.process_exception(request, deadlock) is None
    refused = _wrapped(OperationalError, _PsycopgLike("connection refused", None))
    response = middleware.process_exception(request, refused)
    assert response is not None
    assert response.status_code == 503


# --- end to end: the database goes away under a running server and comes back ----------------------


class Proxy:
    """A loopback TCP proxy to PostgreSQL that the test can cut (every live connection dropped, new
    ones closed at once) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = threading.Event()
        self.up.set()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    @staticmethod
    def _drop(*sockets: socket.socket) -> None:
        # Shut down before closing: a close alone neither wakes the other pump's recv() nor sends the FIN
        # that ends the PostgreSQL backend.
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            self._drop(*self.sockets)
            self.sockets.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def _sign_in_attempt(client: Client) -> Any:
    """One request as a real server handles it: connections checked before and after (the test
    client leaves that out)."""
    close_old_connections()
    try:
        return client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    finally:
        close_old_connections()


@pytest.mark.django_db(transaction=True)
def test_an_outage_under_a_running_server_answers_503_and_recovers_at_once(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """PostgreSQL: the server keeps a persistent connection through a proxy; the proxy drops it
    (connection lost mid-life, then refused), and comes back. SQLite (embedded): the database file
    becomes unreachable, then reachable again. Each time: 200, then 503, then 200 at once."""
    client = _client("en")
    statuses: list[int] = []
    if connection.vendor == "postgresql":
        settings_dict = connections["default"].settings_dict
        proxy = Proxy((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))

        def run() -> None:
            conn = connections["default"]
            conn.settings_dict = {**conn.settings_dict, "HOST": "127.0.0.1", "PORT": str(proxy.port)}
            conn.settings_dict["CONN_MAX_AGE"] = 600  # persistent: the loss is met mid-connection
            try:
                statuses.append(_sign_in_attempt(client).status_code)
                proxy.cut()
                statuses.append(_sign_in_attempt(client).status_code)
                statuses.append(_sign_in_attempt(client).status_code)  # refused now
                proxy.restore()
                statuses.append(_sign_in_attempt(client).status_code)
            finally:
                conn.close()
                proxy.close()

    else:
        home = tmp_path / "db"
        home.mkdir()
        away = tmp_path / "db-away"

        def run() -> None:
            try:
                statuses.append(_sign_in_attempt(client).status_code)
                home.rename(away)
                statuses.append(_sign_in_attempt(client).status_code)
                statuses.append(_sign_in_attempt(client).status_code)
                away.rename(home)
                statuses.append(_sign_in_attempt(client).status_code)
            finally:
                connections["default"].close()

    with sqlite_file_database(tmp_path / "db" / "outage.sqlite3"):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert statuses == [200, 503, 503, 200]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert len([r for r in caplog.records if r.name == "anju.outage"]) == 2
