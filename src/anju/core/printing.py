"""What the station prints on paper: one HTML page per document, with A4 print styles, and the same page as a
PDF file (WeasyPrint) when ``?format=pdf`` is asked.

A document page extends ``core/print_base.html``: no navigation, a screen-only toolbar (print, download the
PDF, back), ``@page`` A4 margins with page numbers, table headers repeated on every page. A document that
shows personal data is recorded as an export (``audit.services.print_recorded``) each time it is shown or
downloaded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from anju.core.security import no_store

PRINT_CSS = "anju/print.css"
FORMATS = ("html", "pdf")


def wanted_format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "html")
    return fmt if fmt in FORMATS else "html"


def pdf_bytes(html: str, *, base_url: str) -> bytes:
    """The PDF of a print page, laid out by WeasyPrint with the same print stylesheet (A4, CJK fonts)."""
    from weasyprint import CSS, HTML  # imported here: Pango loads only when a PDF is asked for

    sheet = finders.find(PRINT_CSS)
    stylesheets = [CSS(filename=str(sheet))] if sheet else []
    document = HTML(string=html, base_url=base_url, url_fetcher=refuse_fetch)
    return bytes(document.write_pdf(stylesheets=stylesheets))


def refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """WeasyPrint fetches nothing: the print pages carry no images or links to load, and text from residents
    must never make the server request a URL."""
    raise ValueError(f"print pages load no resources ({url[:60]})")


def print_response(
    request: HttpRequest, template: str, context: dict[str, Any], *, filename: str, fmt: str | None = None
) -> HttpResponse:
    """The print page of ``template``, or its PDF when ``fmt`` (default: ``?format=``) is ``pdf``. Private:
    never stored by a browser or proxy."""
    fmt = fmt or wanted_format(request)
    context = {**context, "printed_at": timezone.now(), "printed_by": request.user, "pdf": fmt == "pdf"}
    html = render_to_string(template, context, request=request)
    if fmt == "pdf":
        response = HttpResponse(
            pdf_bytes(html, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    else:
        response = HttpResponse(html)
    return no_store(response)
