"""The OpenAPI schema documents the error statuses each operation answers, with the shared error body,
so generated clients can read them: checked against the schema and against real answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from anju.access.roles import Role
from anju.api import api as anju_api
from anju.testing import Tree, make_user

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
MISSING = "987654321"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return anju_api.get_openapi_schema()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_error_status_carries_the_shared_error_body(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path, status)


#: The operations a caller uses before signing in, and the public 公示 of a project (tests/test_permissions.py walks
#: the same list).
PUBLIC_PATHS = {
    "/api/v1/accounts/code",
    "/api/v1/accounts/code/verify",
    "/api/v1/people/invitations/code",
    "/api/v1/people/invitations/accept",
    "/api/v1/contributions/projects/{project_id}/public",
}


def test_statuses_follow_what_an_operation_takes(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    assert len(operations) > 60
    for method, path, operation in operations:
        statuses = {int(s) for s in operation["responses"]}
        where = (method, path, sorted(statuses))
        if path in PUBLIC_PATHS:
            assert "security" not in operation, where  # signing in by SMS code: no token or session yet
        else:
            assert 401 in statuses, where  # every other operation needs a token or a session
        if "{" in path:
            assert 404 in statuses, where
        if operation.get("parameters") or operation.get("requestBody"):
            assert 422 in statuses, where
        if operation.get("requestBody"):
            assert {400, 413} <= statuses, where
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert 400 in statuses, where  # a NUL character
        if method != "get":
            assert {403, 409} <= statuses, where
    me = schema["paths"]["/api/v1/me"]["get"]
    assert sorted(me["responses"]) == [200, 401]  # takes nothing: nothing else to document


def test_declared_statuses_are_kept(schema: dict[str, Any]) -> None:
    checkin = schema["paths"]["/api/v1/appeals/site-codes/checkin"]["post"]["responses"]
    assert 410 in checkin
    assert checkin[404]["content"]["application/json"]["schema"] == ERROR_REF


def _call(client: Client, method: str, path: str) -> int:
    url = path
    while "{" in url:
        start, end = url.index("{"), url.index("}")
        url = url[:start] + MISSING + url[end + 1 :]
    if method == "get":
        return client.get(url).status_code
    return client.generic(method.upper(), url, data="{}", content_type="application/json").status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, Role.RESIDENT, Role.ADMIN])
def test_real_answers_are_documented(tree: Tree, schema: dict[str, Any], role: str | None) -> None:
    """Anonymous, a resident and an administrator call every operation (missing ids, an empty body):
    each answer's status is one the schema lists for that operation."""
    client = Client(raise_request_exception=False)
    if role is not None:
        client.force_login(make_user(role, tree.province if role == Role.ADMIN else tree.building))
    undocumented = []
    for method, path, operation in _operations(schema):
        status = _call(client, method, path)
        if status not in operation["responses"]:
            undocumented.append((method, path, status, sorted(operation["responses"])))
    assert undocumented == []


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def test_no_two_schemas_share_a_name() -> None:
    """django-ninja files every schema under its class name in ``components``: two classes of one name in
    different apps overwrite each other, and an operation is documented (and fuzzed) with another's body."""
    from ninja import Schema

    names: dict[str, set[str]] = {}
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("anju.") and "." not in cls.__qualname__:
            names.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: mods for name, mods in names.items() if len(mods) > 1} == {}


def test_the_coverage_operations_document_their_own_bodies(schema: dict[str, Any]) -> None:
    """The pairing and the convention both answer a coverage: each operation names its own body."""
    from anju.consult.convention.api import ConventionCoverageOut
    from anju.pairing.api import PairingCoverageOut

    seen = {}
    for _method, _path, operation in _operations(schema):
        ok = {int(k): v for k, v in operation["responses"].items()}.get(200)
        ref = ok and ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref and ref.rsplit("/", 1)[1] in ("PairingCoverageOut", "ConventionCoverageOut"):
            seen[ref.rsplit("/", 1)[1]] = set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])
    assert seen == {
        "PairingCoverageOut": set(PairingCoverageOut.model_fields),
        "ConventionCoverageOut": set(ConventionCoverageOut.model_fields),
    }
