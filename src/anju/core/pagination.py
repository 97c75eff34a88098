"""Pagination for HTML lists."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
