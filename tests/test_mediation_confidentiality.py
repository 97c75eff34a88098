"""The confidentiality matrix of mediation: every role × every case page, API operation and export, found by
URL pattern introspection (a new URL is walked without touching this file). Only the case's mediators and the
community's branch secretary read it; the worker who opened it reads its number and status; every other role
of the community (an administrator included) gets 404, as for a case that does not exist, and nothing is
written. Every read of the content writes one access-log row; the refused ones write none."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from anju.access.roles import Role
from anju.audit.models import AuditEvent, PiiAccess
from anju.mediation.models import Case
from anju.testing import api_client, make_user
from anju.testing.mediation import MediationWorld, agree, make_mediation_world, open_case, schedule
from test_permissions import api_operations, iter_endpoints

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
#: A valid body for each operation that takes one (django-ninja answers 422 to an empty body first).
BODIES: dict[str, dict[str, Any]] = {
    "sessions": {"space_id": 1, "starts_at": "2030-01-07T10:00:00+08:00", "ends_at": "2030-01-07T11:00:00+08:00"},
    "sessions/{mediation_session_id}": {"attended": [], "notes": "到场"},
    "agreement": {"facts": "事实", "undertakings": []},
    "no-agreement": {"reason": "分歧大"},
    "referral": {"referred_to": "court", "reason": "起诉"},
    "follow-ups/{follow_up_id}": {"result": "kept"},
}


def _fill(template: str, values: dict[str, int]) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(values[m.group(1)]), template)


def case_pages(values: dict[str, int]) -> list[tuple[str, str]]:
    """(name, URL) of every mediation page that takes a case."""
    out = []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        params = getattr(endpoint.pattern.pattern, "converters", {})
        if endpoint.name.startswith("mediation:") and "case_id" in params:
            out.append((endpoint.name, reverse(endpoint.name, kwargs={p: values[p] for p in params})))
    return out


def case_operations(values: dict[str, int]) -> list[tuple[str, str, str]]:
    """(method, URL, body) of every mediation API operation that takes a case."""
    out = []
    for method, route, _op in api_operations():
        if route.startswith("/mediation/cases/{case_id}"):
            tail = route.removeprefix("/mediation/cases/{case_id}").strip("/")
            out.append((method, "/api/v1" + _fill(route, values), json.dumps(BODIES.get(tail, {}))))
    return out


@pytest.fixture
def case_world() -> tuple[MediationWorld, Case, dict[str, int]]:
    mw = make_mediation_world()
    case = open_case(mw)
    session = schedule(case, mw.users["mediator"], mw.room)
    agree(case, mw.users["mediator"])
    values = {"case_id": case.pk, "session_id": session.pk, "mediation_session_id": session.pk}
    values["follow_up_id"] = case.follow_ups.first().pk
    return mw, case, values


def test_the_walk_covers_every_case_url(case_world: Any) -> None:
    _mw, _case, values = case_world
    names = {name for name, _url in case_pages(values)}
    assert {"mediation:case", "mediation:agreement", "mediation:agreement_print", "mediation:follow_up"} <= names
    assert len(case_operations(values)) >= 9


def _outsiders(mw: MediationWorld) -> dict[str, Any]:
    tree = mw.tree
    # Every role of the case's community but its branch secretary (who reads it), each a fresh account.
    users = {
        role: make_user(role, tree.community)
        for role in Role.values
        if role not in (Role.DEPARTMENT_LIAISON, Role.BRANCH_SECRETARY)
    }
    users["grid_worker"] = mw.users["grid_worker"]
    users["volunteer"] = mw.users["volunteer"]
    users["liaison"] = mw.users["liaison"]
    users["police"] = mw.users["police"]  # alerted of a risk, never a reader of the case
    users["supervisor"] = mw.users["supervisor"]
    users["admin"] = mw.users["admin"]
    users["other_worker"] = mw.users["other_worker"]
    users["other_secretary"] = make_user(Role.BRANCH_SECRETARY, tree.other_community)
    return users


def test_everyone_outside_the_case_gets_404_everywhere_and_nothing_is_written(case_world: Any) -> None:
    mw, case, values = case_world
    pages, operations = case_pages(values), case_operations(values)
    missing = dict.fromkeys(values, MISSING)
    missing_ops = case_operations(missing)
    outsiders = _outsiders(mw)
    clients = {}
    for who, user in outsiders.items():
        page = Client()
        page.force_login(user)
        clients[who] = (page, api_client(user))
    before = (AuditEvent.objects.count(), PiiAccess.objects.count())
    state = Case.objects.filter(pk=case.pk).values().get()
    wrong = []
    for who, (page, api) in clients.items():
        for name, url in pages:
            answers = {page.get(url).status_code, page.post(url, {"reason": "x", "result": "broken"}).status_code}
            if not answers - {405} or not answers <= {404, 405}:
                wrong.append(f"{who} {name}: {sorted(answers)}")
        for (method, url, body), (_m, missing_url, _b) in zip(operations, missing_ops, strict=True):
            got = api.generic(method, url, data=body, content_type="application/json").status_code
            as_missing = api.generic(method, missing_url, data=body, content_type="application/json").status_code
            if got != 404 or as_missing != 404:
                wrong.append(f"{who} {method} {url}: {got} (missing: {as_missing})")
    assert wrong == [], "\n".join(wrong)
    assert (AuditEvent.objects.count(), PiiAccess.objects.count()) == before
    assert Case.objects.filter(pk=case.pk).values().get() == state


def test_a_user_with_no_role_is_refused_before_any_case(case_world: Any, client_for: Any) -> None:
    _mw, _case, values = case_world
    client = client_for(make_user())
    for _name, url in case_pages(values):
        assert client.get(url).status_code in {403, 405}


def test_the_opener_reads_the_status_only(case_world: Any) -> None:
    mw, case, values = case_world
    opener = mw.users["opener"]
    page, api = Client(), api_client(opener)
    page.force_login(opener)
    status_page = page.get(reverse("mediation:case", args=[case.pk]))
    assert status_page.status_code == 200
    body = status_page.content.decode()
    assert case.number in body
    assert "张三丰" not in body
    assert "楼道" not in body
    status = api.get(f"/api/v1/mediation/cases/{case.pk}/status")
    assert status.json() == {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
    }
    for name, url in case_pages(values):
        if name == "mediation:case":
            continue
        answers = {page.get(url).status_code, page.post(url, {"reason": "x"}).status_code}
        assert answers <= {404, 405}, name
        assert answers - {405}, name
    assert api.get(f"/api/v1/mediation/cases/{case.pk}").status_code == 404
    assert not PiiAccess.objects.filter(actor=opener).exists()


@pytest.mark.parametrize("who", ["mediator", "co_mediator", "branch_secretary"])
def test_mediators_and_the_secretary_read_the_case_and_each_read_is_logged(case_world: Any, who: str) -> None:
    mw, case, _values = case_world
    user = mw.users[who]
    page, api = Client(), api_client(user)
    page.force_login(user)
    reads = [
        page.get(reverse("mediation:case", args=[case.pk])),
        page.get(reverse("mediation:agreement_print", args=[case.pk])),
        api.get(f"/api/v1/mediation/cases/{case.pk}"),
    ]
    assert [r.status_code for r in reads] == [200, 200, 200]
    assert "张三丰" in reads[0].content.decode()
    assert PiiAccess.objects.filter(actor=user, subject_id=str(case.pk)).count() == 3
    listed = {row["number"] for row in api.get("/api/v1/mediation/cases").json()}
    assert listed == {case.number}
