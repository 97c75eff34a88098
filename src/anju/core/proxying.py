"""Who is acting for whom in this request (子女代办), for the layers below accounts.

``accounts.acting`` decides, on every request, whether a family proxy acts for a resident; while it does, the
request's user is the resident and this module holds the proxy, so that the audit trail
(``audit.services.record``) and the domain apps' timelines record "由 X 代办" without every service taking one
more argument. The value lives in a context variable, set for one request and reset after it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Proxy:
    """The account really signed in, acting for ``grantor_id`` under grant ``grant_id``."""

    user_id: int
    label: str
    grantor_id: int
    grant_id: int


_current: ContextVar[Proxy | None] = ContextVar("anju_proxy", default=None)


def current() -> Proxy | None:
    """The proxy acting in this request, or None."""
    return _current.get()


def activate(proxy: Proxy | None) -> Token[Proxy | None]:
    """Set the acting proxy; pass the returned token to :func:`reset` when the request ends."""
    return _current.set(proxy)


def reset(token: Token[Proxy | None]) -> None:
    _current.reset(token)
