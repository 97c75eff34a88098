"""The signed-in user without a database query per request.

Django's ``AuthenticationMiddleware`` reads the user row on every signed-in request, and the database
session backend reads the session row before it: two queries before any view runs. The session is now read
through a cache (``cached_db``, see ``SESSIONS_CACHE`` in settings) and the user here, from the same shared
cache, keyed by the user's id.

What must take effect at once still does:

- **Sign out** flushes the session, which deletes it from the cache and the database alike.
- **Sign out everywhere** raises the user's session epoch, and **a new password or a deactivated account**
  saves the user: both forget the cached user (:func:`forget_user`, at once and again when the transaction
  commits), so the next request of any session reads the row again and compares the session's auth hash
  with the new one, which no longer matches.
- Only the fast path is ours: a user found and a session hash that verifies. Everything else (no user, a
  hash that does not match, a rotated secret key) goes through Django's own ``get_user``.

The cache must be one every process of the site shares (a directory under ``var/`` by default), or a
process would keep a user another process forgot.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

#: How long a user stays cached without being changed (a backstop: every change forgets it at once).
USER_SECONDS = 600


def _cache() -> Any:
    return caches[settings.SESSION_CACHE_ALIAS]


def _key(user_id: Any) -> str:
    return f"anju:user:{user_id}"


def forget_user(user_id: Any) -> None:
    """Drop the cached user now and once more when the transaction commits (so no request re-caches the old
    row in between)."""
    if user_id is None:
        return
    key = _key(user_id)
    _cache().delete(key)
    transaction.on_commit(lambda: _cache().delete(key))


def _verified(request: HttpRequest, user: Any) -> bool:
    return _verified_hash(request, user.get_session_auth_hash())


def _verified_hash(request: HttpRequest, auth_hash: str) -> bool:
    session_hash = request.session.get(auth.HASH_SESSION_KEY)
    return isinstance(session_hash, str) and constant_time_compare(session_hash, auth_hash)


#: The auth hash of each shared user object this process holds, keyed by the object's id (the entry keeps the
#: object alive, so the id is not reused) and checked against the secret key it was worked out with.
_hashes: dict[int, tuple[Any, str, str]] = {}


def _auth_hash(shared: Any) -> str:
    known = _hashes.get(id(shared))
    if known is not None and known[0] is shared and known[1] == settings.SECRET_KEY:
        return known[2]
    if len(_hashes) >= 4096:
        _hashes.clear()
    auth_hash = shared.get_session_auth_hash()
    _hashes[id(shared)] = (shared, settings.SECRET_KEY, auth_hash)
    return auth_hash


def cached_get_user(request: HttpRequest) -> Any:
    """The request's user, from the shared cache when the session's auth hash verifies against it."""
    try:
        user_id = auth.get_user_model()._meta.pk.to_python(request.session[auth.SESSION_KEY])
        backend_path = request.session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return auth.get_user(request)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    key = _key(user_id)
    cache = _cache()
    shared = cache.get_shared(key) if hasattr(cache, "get_shared") else None
    if shared is not None:
        # The object this process decoded from the cache's bytes: its auth hash is worked out once, and the
        # request gets a copy of its own to change.
        if _verified_hash(request, _auth_hash(shared)):
            return copy.copy(shared)
    else:
        user = cache.get(key)
        if user is None:
            user = auth.load_backend(backend_path).get_user(user_id)
            if user is None:
                return AnonymousUser()
            cache.set(key, user, USER_SECONDS)
        if _verified(request, user):
            return user
    cache.delete(key)
    return auth.get_user(request)  # Django decides: a fallback secret, or flush the session


def _lazy_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = cached_get_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class CachedUserMiddleware(AuthenticationMiddleware):
    """Django's authentication middleware, with ``request.user`` read through :func:`cached_get_user`."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _lazy_user(request))  # type: ignore[assignment]
