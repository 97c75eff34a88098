"""The API's shared parts: authentication, one error body, pagination.

Every error answers ``{"error": {"code": ..., "message": ..., "details": [...]}}``
with the message in the caller's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.pagination import LimitOffsetPagination
from ninja.security import APIKeyCookie

from anju.core.middleware import is_outage, outage_response
from anju.core.pagination import bounded_count, counted_ids, cursor_after, order_keys, page_rows, rows_after, rows_of
from anju.core.params import MAX_INT

log = logging.getLogger("anju.api")


class ErrorDetail(Schema):
    field: str = ""
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    error: ErrorBody


class Conflict(Exception):
    """A request that collides with the current state (answered 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SessionAuth(APIKeyCookie):
    """The browser session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: nothing to protect, answer 401 rather than a CSRF error.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class Pagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination with bounds the database can hold (see ``core.params``).

    ``offset`` may be anything up to 2⁶³−1 (larger answers 422); the count is taken first and an
    offset at or past it answers an empty page without a query, so ``offset + limit`` never reaches
    the database (where it could overflow a 64-bit integer).
    """

    items_attribute = "results"

    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE,
            ge=1,
            le=settings.NINJA_PAGINATION_MAX_LIMIT,
            description="how many results, at most",
        )
        offset: int = Field(0, ge=0, le=MAX_INT, description="how many results to skip")

    class Output(Schema):
        count: int
        results: list[Any]

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        items, count = page_slice(queryset, offset=pagination.offset, limit=min(pagination.limit, self.max_limit))
        return {self.items_attribute: items, "count": count}


@dataclass(frozen=True)
class Answered:
    """A list to page (``queryset``) and how each row of the page is answered (``as_item``): for a list whose
    items are plain values (a ``pydantic.BaseModel`` of dicts) rather than a ``Schema`` read off the models."""

    queryset: QuerySet[Any]
    as_item: Callable[[Any], Any]


class BoundedPagination(Pagination):
    """``limit``/``offset`` (or ``cursor``) for lists that may hold millions of rows: the count is exact up to
    ``core.pagination.COUNT_EXACT_UP_TO`` (read through a ``LIMIT``) and beyond it the planner's estimate,
    said by ``count_exact: false``; the items are read whatever the count (an estimate is no end).

    Each page carries ``next_cursor`` when more follow (and the list's order allows it): passing it back reads
    the next page by its keys, so page 10,000 costs what page 1 does (an offset reads and drops every row before
    it)."""

    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE,
            ge=1,
            le=settings.NINJA_PAGINATION_MAX_LIMIT,
            description="how many results, at most",
        )
        offset: int = Field(0, ge=0, le=MAX_INT, description="how many results to skip (ignored with a cursor)")
        cursor: str = Field(
            "",
            max_length=400,
            description="the next_cursor of the previous page: the page after it, by the list's keys (no offset)",
        )

    class Output(Schema):
        count: int = Field(
            ...,
            description="How many results in all when count_exact; otherwise the database's estimate, or (where "
            "there is none) the bound past which lists are not counted: more than this many",
        )
        count_exact: bool = Field(..., description="false: the list is too large to count; count is not exact")
        next_cursor: str | None = Field(None, description="pass as cursor to read the next page; null on the last page")
        results: list[Any]

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        as_item: Callable[[Any], Any] | None = None
        if isinstance(queryset, Answered):
            queryset, as_item = queryset.queryset, queryset.as_item
        limit = min(pagination.limit, self.max_limit)
        keys = order_keys(queryset) if isinstance(queryset, QuerySet) else None
        if pagination.cursor:
            if keys is None:
                raise DjangoValidationError({"cursor": [_("This list cannot be read by cursor; use offset.")]})
            after = rows_after(queryset, keys, pagination.cursor)
            count = bounded_count(queryset)
            rows = page_rows(after, 0, limit + 1)
            page: dict[str, Any] = {"count": count.value, "count_exact": count.exact, "results": rows}
        else:
            page = bounded_slice(queryset, offset=pagination.offset, limit=limit, extra=1)
        items: list[Any] = page["results"]
        more = len(items) > limit
        return {
            self.items_attribute: [as_item(r) for r in items[:limit]] if as_item else items[:limit],
            "count": page["count"],
            "count_exact": page["count_exact"],
            "next_cursor": cursor_after(items[limit - 1], keys) if more and keys else None,
        }


def page_slice(queryset: Any, *, offset: int, limit: int) -> tuple[list[Any], int]:
    """(the items from ``offset``, at most ``limit``; the total count). An offset at or past the count
    answers no items without a query, so ``offset + limit`` never reaches the database."""
    count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    return (list(queryset[offset : offset + limit]) if offset < count else []), count


def bounded_slice(queryset: QuerySet[Any], *, offset: int, limit: int, extra: int = 0) -> dict[str, Any]:
    """``count``, ``count_exact`` and the items from ``offset`` (at most ``limit``, plus ``extra`` to tell whether
    more follow) of a list that may hold millions of rows, as :class:`BoundedPagination` answers them: the count
    exact up to the bound, the planner's estimate beyond it; at most three queries whatever the size, two when
    the items end the list (:func:`~anju.core.pagination.counted_ids`)."""
    ids, count = counted_ids(queryset, offset, offset + limit + extra)
    return {"count": count.value, "count_exact": count.exact, "results": rows_of(queryset, ids)}


# --- the error statuses in the schema -------------------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON (code malformed_body), or a query parameter or field holds a NUL character "
    "(code bad_request).",
    401: "Not signed in and no valid API token (code unauthorized).",
    403: "The account may not do this, or the session's CSRF token is missing (codes forbidden, csrf_failed).",
    404: "Not found, or outside what the account may see: the same answer for both (code not_found).",
    409: "The request collides with the current state, e.g. a step the object's state does not allow (code conflict).",
    413: "The request body is too large (code too_large).",
    422: "A parameter or field is not valid; details name each field (code validation_error).",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def error_statuses(operation: Operation, details: dict[str, Any]) -> set[int]:
    """The error statuses ``operation`` can answer besides those it declares, from what it takes:

    - 401 when it needs authentication;
    - 403 when its permission needs a role, and on every write (the session's CSRF check);
    - 404 when it names an object: a path parameter, or an id among its inputs;
    - 422 when it takes any parameter or body (validation);
    - 400 when it takes a query or a body (a NUL character; malformed JSON), 413 when it takes a body;
    - 409 on every write (the object's state may not allow it).
    """
    statuses: set[int] = set()
    writes = bool(set(operation.methods) - SAFE_METHODS)
    if operation.auth_callbacks:
        statuses.add(401)
    action = getattr(operation.view_func, "anju_permission", None)
    if writes or action not in (None, "public", "authenticated"):
        statuses.add(403)
    parameters = details.get("parameters", [])
    body = details.get("requestBody")
    if any(p["in"] == "path" for p in parameters) or _names_an_id(parameters, operation):
        statuses.add(404)
    if parameters or body:
        statuses.add(422)
    if body or any(p["in"] == "query" for p in parameters):
        statuses.add(400)
    if body:
        statuses.add(413)
    if writes:
        statuses.add(409)
    return statuses


def _names_an_id(parameters: list[dict[str, Any]], operation: Operation) -> bool:
    names = {p["name"] for p in parameters}
    for model in operation.models:
        names |= _field_names(model)
    return any(name == "id" or name.endswith(("_id", "_ids")) for name in names)


def _field_names(model: Any, depth: int = 0) -> set[str]:
    names: set[str] = set()
    for name, field in getattr(model, "model_fields", {}).items():
        names.add(field.alias or name)
        if depth < 3:
            names |= _field_names(field.annotation, depth + 1)
    return names


class _ErrorResponse(Schema):
    """How django-ninja wraps a response model; its one field becomes the ``ErrorOut`` reference."""

    response: ErrorOut


class ErrorDocumentingSchema(OpenAPISchema):
    """The OpenAPI schema, with the shared error body under every error status an operation can
    answer (see :func:`error_statuses`); statuses an operation declares itself are kept as declared."""

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        # django-ninja types this as taking its parameter models; it takes response models the same way.
        schema = self._create_schema_from_model(_ErrorResponse, by_alias=True, mode="serialization")[0]  # type: ignore[type-var]
        responses = details["responses"]
        for status in sorted(error_statuses(operation, details)):
            if status not in responses:
                responses[status] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {self.api.renderer.media_type: {"schema": schema}},
                }
        details["responses"] = dict(sorted(responses.items()))
        return details


class AnjuAPI(NinjaAPI):
    """django-ninja's API with the error statuses documented on every operation."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ErrorDocumentingSchema(self, path_prefix)


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return api.create_response(request, body, status=status)


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload")]
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = [{"field": _location(e.get("loc", ())), "message": _translate_pydantic(e)} for e in exc.errors]
        return error_response(api, request, 422, "validation_error", _("Some fields are not valid."), details)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            details = [
                {"field": "" if field == "__all__" else field, "message": str(msg)}
                for field, msgs in exc.message_dict.items()
                for msg in msgs
            ]
        else:
            details = [{"field": "", "message": str(m)} for m in exc.messages]
        return error_response(api, request, 422, "validation_error", _("Some fields are not valid."), details)

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, "unauthorized", _("Sign in or send a valid API token."))

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        if not getattr(request.user, "is_authenticated", False):
            return on_auth(request, AuthenticationError())
        return error_response(api, request, 403, "forbidden", _("Your account may not do this."))

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found, or outside what your account may see."))

    def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return error_response(api, request, 409, "conflict", exc.message)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if status == 400 and "parse request body" in str(exc):
            return error_response(api, request, 400, "malformed_body", _("The request body is not valid JSON."))
        if status == 401:
            return on_auth(request, AuthenticationError())
        if status == 403:
            if "CSRF" in str(exc):
                return error_response(
                    api, request, 403, "csrf_failed", _("The CSRF token is missing or wrong. Reload and try again.")
                )
            return error_response(api, request, 403, "forbidden", _("Your account may not do this."))
        if status == 429:
            return error_response(api, request, 429, "throttled", _("Too many requests. Wait a moment and retry."))
        return error_response(api, request, status, "error", _("The request could not be handled."))

    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # A multipart body passes the size middleware (files may be large), its fields do not.
        megabytes = max(1, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024))
        message = _("The request is too large: at most %(mb)s MB may be sent at once.") % {"mb": megabytes}
        return error_response(api, request, 413, "too_large", message)

    def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
        if is_outage(exc):
            return outage_response(request, exc)  # 503 "unavailable", logged as an outage
        return on_exception(request, exc)

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s", request.path)
        return error_response(
            api, request, 500, "server_error", _("Something went wrong on our side. It has been logged.")
        )

    handlers: list[tuple[type[Exception], Any]] = [
        (NinjaValidationError, on_validation),
        (DjangoValidationError, on_django_validation),
        (AuthenticationError, on_auth),
        (PermissionDenied, on_forbidden),
        (Http404, on_404),
        (Conflict, on_conflict),
        (HttpError, on_http_error),
        (RequestDataTooBig, on_too_large),
        (DatabaseError, on_database_error),
        (Exception, on_exception),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def _translate_pydantic(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    messages = {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "string_type": _("Enter text."),
        "string_too_long": _("The text is too long."),
        "string_too_short": _("The text is too short."),
        "greater_than_equal": _("The number is too small."),
        "less_than_equal": _("The number is too large."),
        "date_from_datetime_parsing": _("Enter a valid date."),
        "datetime_parsing": _("Enter a valid date and time."),
        "datetime_from_date_parsing": _("Enter a valid date and time."),
        "date_parsing": _("Enter a valid date."),
        "bool_parsing": _("Enter true or false."),
        "enum": _("Choose one of the allowed values."),
        "literal_error": _("Choose one of the allowed values."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
    }
    return str(messages.get(kind, _("This value is not valid.")))
