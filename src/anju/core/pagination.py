"""Pagination for HTML lists."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from anju.core.params import parse_positive

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(queryset, per_page)
    # A page number that is not one (or past the end) shows the first (or last) page.
    return paginator.get_page(parse_positive(request.GET.get("page")) or 1)


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
