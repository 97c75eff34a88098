"""Odd integers never answer a server error: every page and every API operation is walked with values
the database cannot hold (2⁶³, 2⁶⁴), values ``int()`` refuses or reads by surprise ("²", "1e3", " 1",
full-width "１") and the edges (-1, 0) in every id, filter, page and pagination parameter. And no code
outside ``anju.core.params`` parses an integer from a request by hand."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.urls.converters import IntConverter

from anju.access.roles import Role
from anju.api import api as anju_api
from anju.core.params import MAX_INT, parse_id, parse_ids, parse_int, parse_positive
from anju.testing import Tree, make_user
from test_permissions import iter_endpoints

ODD = ["9223372036854775808", "18446744073709551616", "-1", "0", "²", "1e3", " 1", "１", "9" * 40]
ODD_DIGITS = [v for v in ODD if v.isascii() and v.isdigit()]

# Every integer-like query parameter a page reads (unknown ones are ignored by the others).
PAGE_PARAMS = [
    "page",
    "category",
    "department",
    "community",
    "grid",
    "building",
    "household",
    "unit",
    "tag",
    "resident",
    "station",
    "space",
    "session",
    "activity",
    "kind",
    "status",
    "resident_q",
    "q",
]


# --- the parser -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [*ODD[:2], "", None, "+1", "1_000", "1.0", True, 2**63, "٣", "1 "])
def test_parse_id_refuses(raw: Any) -> None:
    assert parse_id(raw) is None


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("007", 7), (str(MAX_INT), MAX_INT), (42, 42)])
def test_parse_id_accepts(raw: Any, value: int) -> None:
    assert parse_id(raw) == value


def test_parse_int_bounds() -> None:
    assert parse_int("-5") == -5
    assert parse_int("-5", minimum=0) is None
    assert parse_int(str(-(2**63))) == -(2**63)
    assert parse_int(str(-(2**63) - 1)) is None
    assert parse_positive("0") is None
    assert parse_positive("30", maximum=20) is None
    assert parse_ids(["1", "x", "²", "3", "99999999999999999999"]) == [1, 3]
    assert parse_ids("4,5,a") == [4, 5]


# --- the walk -------------------------------------------------------------------------------------


@pytest.fixture
def admin(tree: Tree) -> Client:
    client = Client(raise_request_exception=False)  # a server error is a 500 to count, not a crash
    client.force_login(make_user(Role.ADMIN, tree.province, username="odd_admin"))
    return client


def _html_urls() -> list[str]:
    """Every HTML page, its int path parameters filled with each odd value the URL can carry."""
    urls: list[str] = []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        if endpoint.name.startswith("api:") or not endpoint.name:
            continue
        converters = getattr(endpoint.pattern.pattern, "converters", {})
        if not converters:
            urls.append(reverse(endpoint.name))
            continue
        if not all(isinstance(c, IntConverter) for c in converters.values()):
            continue
        urls.extend(reverse(endpoint.name, kwargs=dict.fromkeys(converters, value)) for value in ODD_DIGITS)
    return urls


def test_every_page_takes_odd_integers(admin: Client) -> None:
    urls = _html_urls()
    assert "/appeals/" in urls
    assert "/people/households/" in urls
    failures = []
    for url in urls:
        for value in ODD:
            full = f"{url}?{urlencode(dict.fromkeys(PAGE_PARAMS, value))}"
            status = admin.get(full).status_code
            if status >= 500:
                failures.append((full, status))
    assert failures == []


def _api_calls() -> list[tuple[str, str]]:
    """(method, url) for every API operation, with each odd value in every path id, integer query
    parameter, limit and offset."""
    schema = anju_api.get_openapi_schema()
    calls = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            in_path = [p["name"] for p in params if p["in"] == "path"]
            integers = [p["name"] for p in params if p["in"] == "query" and _is_integer(p["schema"])]
            for value in ODD:
                for name in in_path:
                    calls.append((method, _fill(path, in_path, {name: value})))
                for name in integers:  # one at a time: a 422 for one must not hide a 500 for another
                    calls.append((method, f"{_fill(path, in_path, {})}?{urlencode({name: value})}"))
    return calls


def _fill(path: str, names: list[str], values: dict[str, str]) -> str:
    for name in names:
        path = path.replace("{" + name + "}", quote(values.get(name, "1")))
    return path


def _is_integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


def test_every_api_operation_takes_odd_integers(admin: Client) -> None:
    calls = _api_calls()
    assert ("get", "/api/v1/people/households?building_id=18446744073709551616") in calls
    assert ("get", "/api/v1/orgunits?offset=9223372036854775808") in calls
    assert ("post", "/api/v1/bookings/%C2%B2/confirm") in calls
    failures = []
    for method, url in calls:
        if method == "get":
            response = admin.get(url)
        else:
            response = admin.generic(method.upper(), url, data="{}", content_type="application/json")
        if response.status_code >= 500:
            failures.append((method, url, response.status_code))
    assert failures == []


def test_pagination_past_the_end_is_an_empty_page(admin: Client) -> None:
    body = admin.get(f"/api/v1/orgunits?offset={MAX_INT}&limit=100").json()
    assert body["results"] == []
    assert body["count"] > 0


def test_an_offset_beyond_the_database_is_a_clear_422_in_the_callers_language(admin: Client) -> None:
    response = admin.get(f"/api/v1/orgunits?offset={2**63}")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "offset", "message": "数值太大。"}]
    admin.cookies["anju_language"] = "en"
    english = admin.get(f"/api/v1/orgunits?offset={2**63}")
    assert english.json()["error"]["details"] == [{"field": "offset", "message": "The number is too large."}]


def test_an_id_beyond_the_database_is_a_clear_422(admin: Client) -> None:
    response = admin.get(f"/api/v1/people/residents?building_id={2**64}")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "building_id"


# --- no hand-rolled integer parsing ---------------------------------------------------------------

SOURCE = Path(__file__).resolve().parents[1] / "src" / "anju"
HAND_PARSING = re.compile(
    r"\bint\(\s*(self\.)?request\.(GET|POST|META|headers|COOKIES|body)\b|\bint\([^()]*\b(GET|POST)\b|\.isdecimal\(\)"
)


def hand_parsing(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if HAND_PARSING.search(line)]


def test_the_grep_catches_hand_parsing() -> None:
    assert hand_parsing("x = int(request.GET['page'])")
    assert hand_parsing("ok = raw.isdecimal()")
    assert hand_parsing("n = int(self.request.GET.get('n', 1))")
    assert hand_parsing("n = int(data.GET.get('n'))")
    assert hand_parsing("n = int(request.META.get('CONTENT_LENGTH') or 0)")
    assert not hand_parsing("n = parse_id(request.GET.get('building'))")
    assert not hand_parsing("tokens = ApiToken.objects.filter(user_id=int(request.user.pk))")


def test_no_integer_is_parsed_from_a_request_outside_the_parser() -> None:
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "params.py" or "migrations" in path.parts:
            continue
        lines = hand_parsing(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(SOURCE))] = lines
    assert found == {}, "parse integers with anju.core.params (parse_id, parse_int, parse_positive, Id)"
