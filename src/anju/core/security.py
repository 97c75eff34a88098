"""Response headers that protect every page and every private file.

``SecurityHeadersMiddleware`` (registered in settings, outermost after Django's own ``SecurityMiddleware``) does
two things to every response:

1. **Content-Security-Policy.** A strict policy: scripts, styles, fonts, images, frames and form targets from the
   station itself only; no inline script, no inline style, no ``eval``, no plugins, no framing. The templates carry
   no inline ``<script>``, event handler (``onclick=``, ``hx-on``) or ``style=`` attribute (``tests/test_csp.py``
   renders pages and fails on one), and htmx is configured not to ``eval`` and not to inject its indicator
   ``<style>`` (``base.html``'s ``htmx-config``). The API's Swagger page is served from django-ninja's own
   static files (no CDN) and fits the same policy.
2. **No caching of private files.** A file, an export or an image a view serves (a ``FileResponse``, anything
   with ``Content-Disposition``, anything that is not a page or JSON) is marked ``Cache-Control: private,
   no-store``, whatever the view set, so a forgotten header cannot leave a resident's photo or an unmasked export
   in a browser or proxy cache. Public static assets (``STATIC_URL``) are left to WhiteNoise's caching. Views
   still say so themselves with ``no_store`` (``core.images.image_response`` does for every image); the middleware
   is the safety net, and ``tests/test_private_files.py`` walks every URL that serves a file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse

PRIVATE_NO_STORE = "private, no-store"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # data: for CSS-embedded icons, blob: for the camera page's frames
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",  # the check-in camera's live stream
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# Answers that are pages or API data, not files: they keep the caching their views chose (reveal pages and
# answers set no-store themselves).
_NOT_FILES = {"text/html", "application/json", "application/problem+json", "text/xml", "application/xml"}

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def no_store(response: ResponseT) -> ResponseT:
    """Mark a response that carries a private file or revealed data: no browser or proxy may keep it."""
    response["Cache-Control"] = PRIVATE_NO_STORE
    response.headers.pop("Expires", None)
    return response


def is_file_response(response: HttpResponseBase) -> bool:
    if isinstance(response, FileResponse | StreamingHttpResponse) or "Content-Disposition" in response:
        return True
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return bool(media_type) and media_type not in _NOT_FILES and not media_type.startswith("text/plain")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if (
            response.status_code < 300
            and not request.path.startswith(settings.STATIC_URL)
            and is_file_response(response)
            and "no-store" not in response.get("Cache-Control", "")
        ):
            no_store(response)
        return response
