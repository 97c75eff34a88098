"""The family proxy (子女代办): a resident lets a family member's account act for them, within scopes, until
ended; everything done shows "由 X 代办" on the timeline and in the audit trail; never a reveal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from anju.access import policy
from anju.access.roles import Role
from anju.accounts.models import ProxyGrant
from anju.accounts.proxy import services as proxy_services
from anju.appeals.models import Appeal, AppealEvent, Status
from anju.audit.models import AuditEvent
from anju.testing import english_client, make_user
from anju.testing.appeals import AppealsWorld

pytestmark = pytest.mark.usefixtures("english")


def _client(user: Any) -> Client:
    return english_client(user)


@pytest.fixture
def daughter(world: AppealsWorld) -> Any:
    return make_user(username="daughter", display_name="王小红")


def _grant(world: AppealsWorld, daughter: Any, scopes: list[str] | None = None) -> ProxyGrant:
    return proxy_services.proxy_grant_create(
        actor=world.resident,
        grantor=world.resident,
        proxy_username=daughter.username,
        scopes=scopes or ["appeals", "callback"],
    )


def _act(client: Client, grant: ProxyGrant) -> None:
    response = client.post(f"/accounts/proxy/{grant.pk}/act/")
    assert response.status_code == 302


def test_resident_grants_on_the_page_and_the_daughter_answers_the_callback(world: AppealsWorld, daughter: Any) -> None:
    mother = _client(world.resident)
    response = mother.post("/accounts/proxy/", {"proxy": "daughter", "scopes": ["appeals", "callback"]})
    assert response.status_code == 302
    grant = ProxyGrant.objects.get(grantor=world.resident, proxy=daughter)
    appeal = world.to_status(world.file(), Status.VERIFIED)

    child = _client(daughter)
    assert child.get(f"/appeals/{appeal.pk}/").status_code in (403, 404)  # not acting yet: her own account
    page = child.get("/accounts/proxy/").content.decode()
    assert world.resident.display_name in page
    _act(child, grant)
    page = child.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "You are acting for" in page
    assert 'data-testid="acting-banner"' in page
    response = child.post(
        f"/appeals/{appeal.pk}/act/", {"action": "callback", "resolved": "yes", "satisfaction": "satisfied"}
    )
    assert response.status_code in (200, 302)
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED_RESOLVED

    event = AppealEvent.objects.filter(appeal=appeal, action="callback").get()
    assert (event.actor_id, event.proxy_id, event.proxy_label) == (world.resident.pk, daughter.pk, str(daughter))
    row = (
        AuditEvent.objects.filter(action="appeal.callback").first()
        or AuditEvent.objects.filter(data__proxy__isnull=False).first()
    )
    assert row is not None
    assert row.actor_id == world.resident.pk
    assert row.data["proxy"]["id"] == daughter.pk

    # The mother sees who did it, on her timeline; a worker sees it too; the audit page says it.
    mine = _client(world.resident).get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"(done by {daughter} as family proxy)" in mine
    staff = _client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"(done by {daughter} as family proxy)" in staff
    trail = _client(world.admin).get("/audit/").content.decode()
    assert f"on their behalf: {daughter} (family proxy)" in trail


def test_an_action_outside_the_grant_is_refused_and_writes_nothing(world: AppealsWorld, daughter: Any) -> None:
    grant = _grant(world, daughter, ["appeals"])
    appeal = world.to_status(world.file(), Status.VERIFIED)
    child = _client(daughter)
    _act(child, grant)
    assert child.get(f"/appeals/{appeal.pk}/").status_code == 200  # following is in scope
    response = child.post(
        f"/appeals/{appeal.pk}/act/", {"action": "callback", "resolved": "yes", "satisfaction": "satisfied"}
    )
    assert response.status_code in (403, 404)
    assert Appeal.objects.get(pk=appeal.pk).status == Status.VERIFIED
    assert child.get("/spaces/").status_code in (403, 404)  # booking was not granted
    assert child.get("/accounts/me/").status_code == 403  # her mother's account page: never
    assert child.get("/inbox/").status_code == 403


def test_ending_the_grant_stops_the_next_request(world: AppealsWorld, daughter: Any) -> None:
    grant = _grant(world, daughter)
    appeal = world.file()
    child = _client(daughter)
    _act(child, grant)
    assert child.get(f"/appeals/{appeal.pk}/").status_code == 200
    response = _client(world.resident).post(f"/accounts/proxy/{grant.pk}/end/")
    assert response.status_code == 302
    assert child.get(f"/appeals/{appeal.pk}/").status_code in (403, 404)
    page = child.get("/accounts/proxy/").content.decode()
    assert 'data-testid="acting-banner"' not in page
    assert AuditEvent.objects.filter(action="proxy.ended", actor=world.resident).count() == 1


def test_a_proxy_never_reveals_sealed_numbers(world: AppealsWorld, daughter: Any) -> None:
    grant = _grant(world, daughter)
    appeal = world.file()
    child = _client(daughter)
    _act(child, grant)
    page = child.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "17000000011" not in page
    response = child.post(f"/appeals/{appeal.pk}/reveal/", {"purpose": "callback", "reason": "回访"})
    assert response.status_code in (403, 404)
    assert child.get("/people/").status_code == 403
    acting_as = type(world.resident).objects.get(pk=world.resident.pk)
    setattr(acting_as, policy.ACTING_ATTR, frozenset({"appeal.view", "appeal.reveal", "people.reveal"}))
    assert not policy.can(acting_as, "appeal.reveal", appeal)
    assert not policy.can(acting_as, "people.reveal")


def test_api_on_behalf_of_header(world: AppealsWorld, daughter: Any) -> None:
    appeal = world.file()
    child = _client(daughter)
    header = {"HTTP_X_ON_BEHALF_OF": str(world.resident.pk)}
    assert child.get(f"/api/v1/appeals/{appeal.pk}", **header).status_code == 403  # no grant yet
    grant = _grant(world, daughter)
    assert child.get(f"/api/v1/appeals/{appeal.pk}", **header).status_code == 200
    assert child.get(f"/api/v1/appeals/{appeal.pk}").status_code in (403, 404)  # without the header: herself
    assert child.get("/api/v1/me", **header).status_code == 403
    assert child.get(f"/api/v1/appeals/{appeal.pk}", HTTP_X_ON_BEHALF_OF="abc").status_code == 403
    listed = child.get("/api/v1/proxies").json()
    assert [(p["id"], p["role"], p["active"]) for p in listed] == [(grant.pk, "proxy", True)]
    ended = _client(world.resident).post(f"/api/v1/proxies/{grant.pk}/end", content_type="application/json")
    assert ended.status_code == 200
    assert ended.json()["active"] is False
    assert child.get(f"/api/v1/appeals/{appeal.pk}", **header).status_code == 403


def test_api_create_and_bad_input(world: AppealsWorld, daughter: Any) -> None:
    mother = _client(world.resident)
    created = mother.post(
        "/api/v1/proxies",
        {
            "proxy_username": "daughter",
            "scopes": ["callback"],
            "valid_until": str(timezone.localdate() + timedelta(days=300)),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["scopes"] == ["callback"]
    for body in (
        {"proxy_username": "daughter", "scopes": ["callback"]},  # overlaps the one in force
        {"proxy_username": world.resident.username, "scopes": ["callback"]},  # oneself
        {"proxy_username": "nobody-here", "scopes": ["callback"]},
        {"proxy_username": "daughter", "scopes": []},
        {"proxy_username": "daughter", "scopes": ["people.reveal"]},
        {"proxy_username": "daughter", "scopes": ["callback"], "valid_until": "2001-01-01"},
    ):
        response = mother.post("/api/v1/proxies", body, content_type="application/json")
        assert response.status_code == 422, body
    assert ProxyGrant.objects.count() == 1


def test_bad_input_on_the_page_writes_nothing(world: AppealsWorld, daughter: Any) -> None:
    mother = _client(world.resident)
    for data, message in (
        ({"proxy": world.resident.username, "scopes": ["appeals"]}, "You cannot be your own family proxy."),
        ({"proxy": "nobody-here", "scopes": ["appeals"]}, "No active account has this username."),
        ({"proxy": "daughter"}, "Choose at least one thing they may do for you."),
    ):
        response = mother.post("/accounts/proxy/", data)
        assert response.status_code == 422
        assert message in response.content.decode()
    assert ProxyGrant.objects.count() == 0
    assert AuditEvent.objects.filter(action="proxy.granted").count() == 0
    # A worker's account is never acted for: their powers are not delegated.
    response = _client(world.worker).post(
        "/api/v1/proxies", {"proxy_username": "daughter", "scopes": ["appeals"]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert ProxyGrant.objects.count() == 0


def test_worker_records_with_consent_in_their_community_only(world: AppealsWorld, daughter: Any) -> None:
    worker = _client(world.worker)
    data = {"resident": world.resident.username, "proxy": "daughter", "scopes": ["appeals", "callback"]}
    response = worker.post("/accounts/proxy/record/", data)
    assert response.status_code == 422
    assert "Record how the resident gave their consent." in response.content.decode()
    assert ProxyGrant.objects.count() == 0
    response = worker.post("/accounts/proxy/record/", {**data, "consent_method": "signed_form"})
    assert response.status_code == 302
    grant = ProxyGrant.objects.get()
    assert (grant.created_by, grant.consent_method) == (world.worker, "signed_form")
    # The resident sees it on her own page and can end it.
    page = _client(world.resident).get("/accounts/proxy/").content.decode()
    assert "recorded by staff: Signed form" in page
    # A worker of another community cannot record for her (nothing written), nor end it.
    outsider = make_user(Role.COMMUNITY_WORKER, world.tree.other_community)
    response = _client(outsider).post("/accounts/proxy/record/", {**data, "consent_method": "phone"})
    assert response.status_code == 422
    assert ProxyGrant.objects.count() == 1
    assert _client(outsider).post(f"/accounts/proxy/{grant.pk}/end/").status_code == 404
    assert _client(world.other_resident).get("/accounts/proxy/record/").status_code == 403


@pytest.mark.django_db
def test_demo_daughter_acts_for_her_mother() -> None:
    from anju.site.demo import load_demo

    load_demo(log=lambda *_a: None)
    load_demo(log=lambda *_a: None)  # twice: still one grant
    grant = ProxyGrant.objects.get(proxy__username="daughter")
    assert grant.grantor.username == "resident"
    child = english_client(grant.proxy)
    assert child.get("/").status_code == 200
    _act(child, grant)
    page = child.get("/").content.decode()
    assert 'data-testid="acting-banner"' in page
