"""Personal API tokens at the edge: the API's bearer authentication and the image views a token may read.

``Authorization: Bearer anju_…`` is checked by :func:`anju.accounts.services.token_authenticate`; these two
wrappers put the token's user on the request and leave the permission check to ``@policy.permission``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from anju.accounts import acting
from anju.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer anju_…`` personal API tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            if acting.enter_from_header(request):  # X-On-Behalf-Of: act for a resident (or 403)
                return request.user
        return user


def token_readable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let an API client fetch this image with its personal token (``Authorization: Bearer anju_…``), as the
    API's ``*_url`` fields promise; a browser keeps using its session. Wraps a ``@policy.permission`` view, which
    then checks the token's user like any other; only GET and HEAD are let through this way."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if request.method in ("GET", "HEAD") and header.startswith("Bearer ") and not request.user.is_authenticated:
            user = token_authenticate(header.removeprefix("Bearer ").strip())
            if user is not None:
                request.user = user
        return view(request, *args, **kwargs)

    return wrapper
