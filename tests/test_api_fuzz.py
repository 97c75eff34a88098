"""A bounded schemathesis run over every ``/api/v1`` operation, as an administrator and as a resident:
no answer may be a server error, and every answer must match the schema (its status documented, its
body the documented one). Marked ``fuzz``: not in the default suite; ``make fuzz`` and CI run it.

Bounded and repeatable: a fixed number of examples per operation, derandomised, no example database,
so the whole run stays within a few minutes on one core and fails the same way twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.api import api as anju_api
from anju.testing import Tree, make_user

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = 10  # per operation and role: 80 × 2 × 10 calls, about two minutes of CPU
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _connection_kept_between_requests() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; inside the test's transaction
    that would end it (PostgreSQL: "the connection is closed"). Django's test client unhooks the same
    signal handler while it runs a request; this does it for the whole run."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _bearer(tree: Tree, role: str) -> dict[str, str]:
    user = make_user(role, tree.province if role == Role.ADMIN else tree.building, username=f"fuzz_{role}")
    _token, raw = account_services.token_create(actor=None, user=user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def admin_bearer(tree: Tree) -> dict[str, str]:
    """The Authorization header of an administrator of the whole province."""
    return _bearer(tree, Role.ADMIN)


@pytest.fixture
def resident_bearer(tree: Tree) -> dict[str, str]:
    """The Authorization header of a resident of one building."""
    return _bearer(tree, Role.RESIDENT)


# The schema the API serves, called in process through Django's WSGI handler (no server, no port).
# (schemathesis.pytest.from_fixture would build it per test, but its lazy loader breaks on pytest 9.)
schema = schemathesis.openapi.from_dict(anju_api.get_openapi_schema())
schema.app = get_wsgi_application()
bounded = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@bounded
def test_api_fuzz_as_admin(case: Any, admin_bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_bearer, checks=CHECKS)


@schema.parametrize()
@bounded
def test_api_fuzz_as_resident(case: Any, resident_bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=resident_bearer, checks=CHECKS)
