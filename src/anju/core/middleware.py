"""Request-level guards: the language choice, size and NUL-character limits, database outages.

Language choice: zh-Hans unless the person chose otherwise.

The browser's Accept-Language is deliberately not consulted: the product's
users are Chinese, and a phone set to English should not surprise a worker
who never asked for it. The choice is a cookie (set by the switch) or the
account's saved preference.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from anju.core.params import parse_int

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in SUPPORTED:
        return chosen
    user = getattr(request, "user", None)
    preferred = getattr(user, "preferred_language", "") if user is not None and user.is_authenticated else ""
    if preferred in SUPPORTED:
        return preferred
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


class RequestSizeLimitMiddleware:
    """Refuse an over-large body before anything reads it, with 413 and a
    message in the person's language (JSON for the API, a page otherwise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = parse_int(request.META.get("CONTENT_LENGTH"), minimum=0) or 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = settings.MAX_REQUEST_BYTES
        if not content_type.startswith("multipart/"):
            limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    def _too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        with translation.override(language if language in SUPPORTED else settings.LANGUAGE_CODE):
            megabytes = max(1, limit // (1024 * 1024))
            message = _("The request is too large: at most %(mb)s MB may be sent at once.") % {"mb": megabytes}
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "too_large", "message": message, "details": []}}, status=413)
            return render(
                request, "error.html", {"status": 413, "title": _("Too large"), "message": message}, status=413
            )


class NulCharacterMiddleware:
    """Refuse a NUL character in the query string or the body with 400 (JSON
    for the API, a page otherwise): PostgreSQL can neither store nor compare
    one, so it would otherwise end as a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _has_nul(request):
            return self.get_response(request)
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        message = _("The request contains a character that is not allowed. Remove it and try again.")
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"code": "bad_request", "message": message, "details": []}}, status=400)
        return render(request, "error.html", {"status": 400, "title": _("Bad request"), "message": message}, status=400)


def _has_nul(request: HttpRequest) -> bool:
    from urllib.parse import unquote_plus

    if "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.content_type == "multipart/form-data":
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    body = request.body
    if request.content_type == "application/x-www-form-urlencoded":
        return b"%00" in body or b"\x00" in body
    return b"\\u0000" in body  # a JSON string escape; a raw NUL already makes JSON malformed


# --- database outages ------------------------------------------------------------------------------

outage_log = logging.getLogger("anju.outage")
RETRY_AFTER_SECONDS = 30
# SQLSTATEs of a database that went away: class 08 (connection exception), and the server shutting
# down or starting up (admin_shutdown, crash_shutdown, cannot_connect_now).
_SHUTDOWN_STATES = {"57P01", "57P02", "57P03"}
_SQLITE_OUTAGE = ("unable to open database file", "disk i/o error")


def is_outage(exc: BaseException | None) -> bool:
    """True for a database error that means "cannot connect" or "connection lost" (answered 503 and
    logged as an outage), False for everything else (a deadlock, a timeout, a bad query: a bug, 500)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None)
    if state:
        return str(state).startswith("08") or state in _SHUTDOWN_STATES
    if isinstance(cause, sqlite3.Error):
        return any(text in str(exc).lower() for text in _SQLITE_OUTAGE)
    # PostgreSQL (psycopg) reports a refused or dropped connection without a SQLSTATE.
    return cause is not None and type(cause).__module__.startswith("psycopg")


def outage_language(request: HttpRequest) -> str:
    """The reader's language without touching the database (no session, no account)."""
    chosen = getattr(request, "LANGUAGE_CODE", "") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in SUPPORTED else settings.LANGUAGE_CODE


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with ``Retry-After``: the API's error body under ``/api/``, otherwise a page that needs no
    database (no session, no context processors). Logged at WARNING as an outage, not as a bug."""
    from django.http import JsonResponse
    from django.template import loader
    from django.utils.translation import gettext as _

    outage_log.warning(
        "database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path,
        type(exc.__cause__ or exc).__name__,
        str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "",
    )
    language = outage_language(request)
    with translation.override(language):
        title = _("Briefly unavailable")
        message = _("The service cannot reach its database just now. Please try again in a minute.")
        response: HttpResponse
        if request.path.startswith("/api/"):
            body = {"error": {"code": "unavailable", "message": message, "details": []}}
            response = JsonResponse(body, status=503)
        else:
            html = loader.get_template("503.html").render(
                {"title": title, "message": message, "language": language, "retry_after": RETRY_AFTER_SECONDS}
            )
            response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's request log skips it: logged above
    return response


class OutageMiddleware:
    """A view that fails because the database is down answers 503 (see :func:`outage_response`).
    Failures earlier, in another middleware (a session read, say), reach ``handler500``, which
    answers the same way (``site.views.server_error``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            return outage_response(request, exception)
        return None
