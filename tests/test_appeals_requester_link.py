"""Staff link an appeal already filed to the requester's registry entry (e.g. an anonymous requester the
worker recognises), or unlink it: service, appeal page and API; audited; only residents of the appeal's
community, only for staff of that community."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from anju.appeals import requesters
from anju.appeals.models import Appeal, AppealEvent, Channel
from anju.audit.models import AuditEvent
from anju.orgs.models import UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Resident
from anju.testing import Tree
from anju.testing import unit as make_unit
from appeals_world import World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree: Tree) -> World:
    return make_world(tree)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _client(user: Any) -> Client:
    c = Client()
    c.cookies["anju_language"] = "en"
    c.force_login(user)
    return c


def _resident(unit: Any, name: str, n: int) -> Resident:
    if unit.kind != UnitKind.BUILDING:
        unit = make_unit(UnitKind.BUILDING, f"{name}楼", unit)
    household = people_services.household_create(actor=None, unit=unit, door=f"{100 + n}")
    return people_services.resident_create(
        actor=None,
        household=household,
        name=name,
        relation="head",
        id_number=fakes.id_number(date(1950, 5, 17), n, male=True),
        mobile=fakes.mobile(n),
        birth_date=date(1950, 5, 17),
    )


def _anonymous(world: World) -> Appeal:
    return world.file(actor=None, channel=Channel.ANONYMOUS, contact_name="王大妈", contact_mobile="17000000055")


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_worker_links_and_unlinks_from_the_appeal_page(world: World) -> None:
    grandma = _resident(world.tree.building, "王桂英", 41)
    appeal = _anonymous(world)
    assert appeal.requester_resident is None
    c = _client(world.worker)
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "data-requester-link" in page
    assert "Link to a registry resident" in page
    # The picker is the intake form's registry search.
    assert f'value="{grandma.pk}"' in c.get("/appeals/residents/", {"resident_q": "wgy"}).content.decode()

    response = c.post(f"/appeals/{appeal.pk}/requester/", {"requester_resident": grandma.pk})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.requester_resident == grandma
    assert _audits("appeal.requester_linked") == 1
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/people/residents/{grandma.pk}/" in page
    assert "Unlink from the registry" in page
    event = AppealEvent.objects.filter(appeal=appeal, action="requester").get()
    assert event.public is False  # staff only: the requester's timeline does not say who they are
    # The contact given with the appeal stays; the masked contact is unchanged.
    assert requesters.contact_masked(appeal)["mobile"].startswith("170")

    response = c.post(f"/appeals/{appeal.pk}/requester/", {"unlink": "1"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.requester_resident is None
    assert _audits("appeal.requester_unlinked") == 1
    # Unlinking again is an error, not a second audit row.
    c.post(f"/appeals/{appeal.pk}/requester/", {"unlink": "1"})
    assert _audits("appeal.requester_unlinked") == 1


def test_only_residents_of_the_appeals_community(world: World) -> None:
    elsewhere = _resident(world.tree.other_grid, "李四", 42)  # in the other community
    appeal = _anonymous(world)
    # Even an administrator who sees both communities' registries cannot link across communities.
    with pytest.raises(ValidationError):
        requesters.requester_link(actor=world.admin, appeal=appeal, resident=elsewhere)
    # The worker does not reach that resident at all: an error on the page, nothing linked.
    c = _client(world.worker)
    response = c.post(f"/appeals/{appeal.pk}/requester/", {"requester_resident": elsewhere.pk}, follow=True)
    assert "Choose a resident of this community" in response.content.decode()
    archived = _resident(world.tree.building, "赵六", 43)
    Resident.objects.filter(pk=archived.pk).update(status=Resident.Status.MOVED_OUT)
    archived.refresh_from_db()
    with pytest.raises(ValidationError):
        requesters.requester_link(actor=world.worker, appeal=appeal, resident=archived)
    appeal.refresh_from_db()
    assert appeal.requester_resident is None
    assert _audits("appeal.requester_linked") == 0


def test_who_may_link(world: World) -> None:
    grandma = _resident(world.tree.building, "王桂英", 41)
    appeal = _anonymous(world)
    for user in (world.resident, world.volunteer, world.liaison, world.supervisor):
        with pytest.raises(PermissionDenied):
            requesters.requester_link(actor=user, appeal=appeal, resident=grandma)
        status = _client(user).post(f"/appeals/{appeal.pk}/requester/", {"requester_resident": grandma.pk})
        assert status.status_code in (403, 404)
    assert "data-requester-link" not in _client(world.supervisor).get(f"/appeals/{appeal.pk}/").content.decode()
    requesters.requester_link(actor=world.gridworker, appeal=appeal, resident=grandma)
    appeal.refresh_from_db()
    assert appeal.requester_resident == grandma


def test_link_over_the_api(world: World) -> None:
    grandma = _resident(world.tree.building, "王桂英", 41)
    elsewhere = _resident(world.tree.other_grid, "李四", 42)
    appeal = _anonymous(world)
    c = _client(world.worker)
    url = f"/api/v1/appeals/{appeal.pk}/requester-resident"
    response = c.put(url, json.dumps({"resident_id": grandma.pk}), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": appeal.pk, "requester_resident_id": grandma.pk}
    response = c.put(url, json.dumps({"resident_id": elsewhere.pk}), content_type="application/json")
    assert response.status_code == 422
    response = c.put(url, json.dumps({"resident_id": None}), content_type="application/json")
    assert response.json()["requester_resident_id"] is None
    body = json.dumps({"resident_id": grandma.pk})
    forbidden = _client(world.liaison).put(url, body, content_type="application/json")
    assert forbidden.status_code in (403, 404)
    appeal.refresh_from_db()
    assert appeal.requester_resident is None
    assert _audits("appeal.requester_linked") == 1
    assert _audits("appeal.requester_unlinked") == 1
