"""The shell's own pages: home per role, language and text-size switches, errors."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core.context_processors import ELDER_COOKIE
from anju.core.middleware import is_outage, outage_response
from anju.site import home as home_pages

ONE_YEAR = 365 * 24 * 3600


@policy.permission(policy.AUTHENTICATED, while_acting=True)
def home(request: HttpRequest) -> HttpResponse:
    kind, context = home_pages.home_context(request.user)
    return render(request, f"site/home_{kind}.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return target


@policy.public
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (a cookie; saved on the account too)."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language not in dict(settings.LANGUAGES):
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure()
    )
    if request.user.is_authenticated and request.user.preferred_language != language:
        from anju.accounts.services import preference_set_language

        preference_set_language(user=request.user, language=language)
    return response


@policy.public
@require_POST
def set_elder_mode(request: HttpRequest) -> HttpResponse:
    """Larger text for elderly readers (长辈模式), kept in a cookie."""
    response = HttpResponseRedirect(_safe_next(request))
    if request.POST.get("elder") == "1":
        response.set_cookie(ELDER_COOKIE, "1", max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response


@policy.public
def health(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # noqa: BLE001  a health probe reports, it does not raise
        return JsonResponse({"status": "database unavailable"}, status=503)


ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large"}


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        # The API's one error body (anju.core.api), also for errors raised outside an operation.
        body = {"code": ERROR_CODES.get(status, str(status)), "message": message, "details": []}
        return JsonResponse({"error": body}, status=status)
    context: dict[str, Any] = {"status": status, "title": title, "message": message}
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # The fields of a multipart form over DATA_UPLOAD_MAX_MEMORY_SIZE (the size middleware lets files by).
        megabytes = max(1, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024))
        message = _("The request is too large: at most %(mb)s MB may be sent at once.") % {"mb": megabytes}
        return _error(request, 413, _("Too large"), message)
    return _error(
        request,
        400,
        _("Bad request"),
        _("The request could not be understood. If you sent a file or a form, it may be too large."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("Your account may not open this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 404, _("Page not found"), _("There is nothing here, or it is outside what your account may see.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # A database outage met before the view (a session read in a middleware): 503, not a bug.
    exc = sys.exc_info()[1]
    if exc is not None and is_outage(exc):
        return outage_response(request, exc)
    # Rendered without a request context: the failure may be in a context processor.
    from django.template import loader

    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("The form has expired"),
        _("For your safety the form could not be accepted. Go back, reload the page and try again."),
    )


@policy.public
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (error pages, files): the site's icon."""
    return HttpResponsePermanentRedirect(static("anju/favicon.svg"))
