"""Pagination for HTML lists.

:func:`paginate` is Django's paginator (an exact count, "page 3 of 9"). :func:`paginate_bounded` is for lists
that may hold millions of rows (appeals at city scale): its cost follows the page, not the data. It counts
exactly up to :data:`COUNT_EXACT_UP_TO` rows (a count over a ``LIMIT``, so never more rows than that); beyond,
it says so honestly — the planner's estimate on PostgreSQL, labelled as one ("约 12 万条"), or "more than
1,000" elsewhere — and pages on without a last page number, reading one row past the page to know whether
another follows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from anju.core.params import MAX_INT, parse_positive

PAGE_SIZE = 25

#: Up to this many rows a list is counted exactly; beyond, the count is an estimate (or "more than"). The count
#: reads at most this many rows (their heap pages, when the filter is an ``OR`` of indexes): 10,000 cost a list of
#: one community 0.16–0.3 s at 10^6 appeals, forty pages' worth 1,000 a tenth of it.
COUNT_EXACT_UP_TO = 1_000


def paginate(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(queryset, per_page)
    # A page number that is not one (or past the end) shows the first (or last) page.
    return paginator.get_page(parse_positive(request.GET.get("page")) or 1)


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- counts that stay cheap, and say so when they are not exact -----------------------------------------


@dataclass(frozen=True)
class BoundedCount:
    """How many rows a list holds: ``exact`` up to the bound; otherwise ``value`` is an estimate (``estimated``,
    from the planner) or only the bound itself ("more than")."""

    value: int
    exact: bool
    estimated: bool = False


def planner_estimate(queryset: QuerySet[Any]) -> int | None:
    """The rows PostgreSQL's planner expects ``queryset`` to return (``EXPLAIN``, nothing read); ``None`` on
    another database or when it cannot say. The joins ``select_related`` adds only to show each row are left out:
    they change no row count, and planning them cost a list 10 ms."""
    qs = queryset.order_by().select_related(None).values("pk")
    if connections[qs.db].vendor != "postgresql":
        return None
    try:
        plan = json.loads(qs.explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError):  # pragma: no cover  (a planner that answers otherwise)
        return None


def bounded_count(queryset: QuerySet[Any], *, bound: int | None = None) -> BoundedCount:
    """Count ``queryset`` reading at most ``bound + 1`` rows (one query); past the bound, the planner's
    estimate (PostgreSQL, one ``EXPLAIN``), never below the bound."""
    bound = COUNT_EXACT_UP_TO if bound is None else bound
    n = queryset.order_by().select_related(None).values("pk")[: bound + 1].count()
    if n <= bound:
        return BoundedCount(n, exact=True)
    estimate = planner_estimate(queryset)
    if estimate is None:
        return BoundedCount(bound, exact=False)
    return BoundedCount(max(estimate, bound + 1), exact=False, estimated=True)


def page_ids(queryset: QuerySet[Any], start: int, stop: int) -> list[Any]:
    """The ids of the rows ``start:stop`` of ``queryset``, through its filter and order but none of the joins
    ``select_related`` adds only to show each row (the first step of :func:`page_rows`)."""
    return list(queryset.select_related(None).prefetch_related(None).values_list("pk", flat=True)[start:stop])


def rows_of(queryset: QuerySet[Any], ids: list[Any]) -> list[Any]:
    """The rows of ``ids`` in their order, loaded as ``queryset`` loads them (:func:`by_ids`); a row deleted since
    its id was read is left out. No query for no ids."""
    if not ids:
        return []
    rows = {row.pk: row for row in by_ids(queryset, ids)}
    return [rows[pk] for pk in ids if pk in rows]


def page_rows(queryset: QuerySet[Any], start: int, stop: int) -> list[Any]:
    """The rows ``start:stop`` of ``queryset`` in two steps: their ids first (the list's filter and order, none of
    the joins ``select_related`` adds only to show each row), then those rows by their ids with everything they
    show (:func:`by_ids`; a row deleted in between is left out). Past eight joins PostgreSQL keeps the written
    join order, so a filter by a subquery (a resident's own appeals) would otherwise join every row of the table
    before limiting; by ids, the page's cost follows the page."""
    return rows_of(queryset, page_ids(queryset, start, stop))


def counted_ids(
    queryset: QuerySet[Any], start: int, stop: int, *, bound: int | None = None
) -> tuple[list[Any], BoundedCount]:
    """The ids of the rows ``start:stop`` (:func:`page_ids`) and the list's count (:func:`bounded_count`), the ids
    read first: when they end the list — fewer than asked for, and at least one or from the start — the count is
    ``start`` plus them, exact, and needs no query of its own (a short queue costs two queries, not three). A
    full page, or nothing past the start, is counted as :func:`bounded_count` counts."""
    if stop > MAX_INT:  # no database is asked for rows that far
        return [], bounded_count(queryset, bound=bound)
    ids = page_ids(queryset, start, stop)
    if len(ids) < stop - start and (ids or not start):
        return ids, BoundedCount(start + len(ids), exact=True)
    return ids, bounded_count(queryset, bound=bound)


def by_ids(queryset: QuerySet[Any], ids: list[Any]) -> QuerySet[Any]:
    """The rows of ``ids``, loaded as ``queryset`` loads them (its joins for display, its ``only``/``defer``, its
    prefetches) but without its filter and order: the ids were read through them, and PostgreSQL would plan
    them all over again — the worker's queue spent 1.3 ms planning its rows' query with the filter, 0.5 ms
    without. A row changed in between shows as it is now. A queryset that computes anything per row (an
    annotation, a filtered relation, ``extra``, ``distinct``, a union, values) is filtered by the ids as it is."""
    query = queryset.query
    if (
        queryset._iterable_class is not ModelIterable
        or query.annotations
        or query._filtered_relations  # type: ignore[attr-defined]
        or query.extra
        or query.distinct
        or query.combinator
        or query.select_for_update
        or query.extra_tables
    ):
        return queryset.filter(pk__in=ids)
    # Private state carried over as QuerySet._chain carries it: the database the caller chose and the router's
    # hints, the objects a related manager already knows (a resident's household: no query per row).
    manager = queryset.model._base_manager.db_manager(queryset._db, hints=queryset._hints)  # type: ignore[attr-defined]
    rows = manager.filter(pk__in=ids).order_by()
    rows.query.select_related = query.select_related
    rows.query.deferred_loading = query.deferred_loading
    rows._known_related_objects = queryset._known_related_objects  # type: ignore[attr-defined]
    return rows.prefetch_related(*queryset._prefetch_related_lookups)  # type: ignore[attr-defined]


def _round_estimate(n: int) -> int:
    """Two significant figures: an estimate is not precise, so it does not pretend to be."""
    if n < 100:
        return n
    step = 10 ** (int(math.log10(n)) - 1)
    return int(round(n / step) * step)


def approximate_number(n: int) -> str:
    """``n`` rounded for reading: "12 万" in Chinese (万, 亿), "120,000" otherwise."""
    n = _round_estimate(n)
    if (get_language() or "").startswith("zh"):
        if n >= 100_000_000:
            return f"{n / 100_000_000:g} 亿"
        if n >= 10_000:
            return f"{n / 10_000:g} 万"
    return f"{n:,}"


# --- a page of a large list -------------------------------------------------------------------------------


class BoundedPaginator:
    """What the pagination template reads of a paginator: the count (bounded) and, when it is exact, the
    number of pages (``None`` when the count is not exact: no last page is promised)."""

    def __init__(self, count: BoundedCount, per_page: int) -> None:
        self.bounded = count
        self.count = count.value
        self.per_page = per_page
        self.num_pages: int | None = max(1, math.ceil(count.value / per_page)) if count.exact else None


class BoundedPage:
    """One page of a large list, shaped like Django's ``Page`` for the templates."""

    def __init__(self, object_list: list[Any], number: int, paginator: BoundedPaginator, more: bool) -> None:
        self.object_list = object_list
        self.number = number
        self.paginator = paginator
        self.more = more
        self.estimated = not paginator.bounded.exact
        #: The count for reading: exact, or rounded ("12 万") when it is not.
        self.approximate = approximate_number(paginator.count)

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def paginate_bounded(
    request: HttpRequest, queryset: QuerySet[Any], *, per_page: int = PAGE_SIZE, bound: int | None = None
) -> BoundedPage:
    """A page of ``queryset`` in at most three queries whatever its size: the page's ids (one more than a page, to
    know whether another follows), the bounded count — not needed when the page ends the list
    (:func:`counted_ids`) — and the page's rows (:func:`rows_of`). A page number that is not one shows the first
    page; one past the end of an exactly counted list, the last."""
    number = parse_positive(request.GET.get("page")) or 1
    offset = (number - 1) * per_page
    ids, count = counted_ids(queryset, offset, offset + per_page + 1, bound=bound)
    paginator = BoundedPaginator(count, per_page)
    if paginator.num_pages is not None and number > paginator.num_pages:
        number = paginator.num_pages
        offset = (number - 1) * per_page
        ids = page_ids(queryset, offset, offset + per_page + 1)
    elif offset + per_page + 1 > MAX_INT:
        return BoundedPage([], number, paginator, more=False)
    return BoundedPage(rows_of(queryset, ids[:per_page]), number, paginator, more=len(ids) > per_page)


# --- keyset pagination (a cursor instead of an offset) ------------------------------------------------------

#: The salt of the cursors' signatures: a cursor is opaque to clients and cannot be forged into another order.
CURSOR_SALT = "anju.core.pagination.keyset"


def order_keys(queryset: QuerySet[Any]) -> list[tuple[str, bool]] | None:
    """The queryset's order as ``(column attribute, descending)`` pairs when it can be paged by a cursor: every
    key a plain, non-null column of the model itself, the last one its primary key (so the order is total).
    ``None`` when it cannot (an expression, a join, a nullable key)."""
    model = queryset.model
    keys: list[tuple[str, bool]] = []
    for item in queryset.query.order_by:
        if not isinstance(item, str) or "__" in item or "?" in item:
            return None
        name = item.lstrip("-")
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if getattr(field, "null", True) or not getattr(field, "concrete", False):
            return None
        keys.append((field.attname, item.startswith("-")))
    if not keys or keys[-1][0] != model._meta.pk.attname:
        return None
    return keys


def cursor_after(row: Any, keys: list[tuple[str, bool]]) -> str:
    """The opaque cursor that pages on after ``row`` (signed: its values and the keys they belong to)."""
    values = [getattr(row, name) for name, _desc in keys]
    encoded = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    return signing.dumps({"k": [name for name, _d in keys], "v": encoded}, salt=CURSOR_SALT, compress=True)


def rows_after(queryset: QuerySet[Any], keys: list[tuple[str, bool]], cursor: str) -> QuerySet[Any]:
    """``queryset`` from just after the cursor's row, in the same order: a range on the first key (which an index
    on it answers in order) and the tie-breaks on the rest, never an offset. A cursor that is not one of this
    list's raises a ``ValidationError`` in the user's language."""
    invalid = ValidationError(
        {"cursor": [_("This cursor is not valid for this list. Start again from the first page.")]}
    )
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise invalid from exc
    if not isinstance(data, dict) or data.get("k") != [name for name, _d in keys]:
        raise invalid
    raw = data.get("v")
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise invalid
    fields = {f.attname: f for f in queryset.model._meta.concrete_fields}
    try:
        values = [fields[name].to_python(value) for (name, _d), value in zip(keys, raw, strict=True)]
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise invalid from exc
    if any(v is None for v in values):
        raise invalid
    first, first_desc = keys[0]
    q = Q()
    after = Q(pk__in=[])
    for i, (name, desc) in enumerate(keys):
        equal = {n: v for (n, _d), v in zip(keys[:i], values[:i], strict=True)}
        after |= Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": values[i]})
    q &= Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
    return queryset.filter(q & after)
