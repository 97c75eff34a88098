"""Staff link an appeal already filed to the requester's registry entry (e.g. an anonymous requester the
worker recognises), or unlink it: service, appeal page and API; audited; only residents of the appeal's
community, only for staff of that community."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anju.appeals.models import AppealEvent
from anju.appeals.requesters import services as requesters
from anju.audit.models import AuditEvent
from anju.people.models import Resident
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld, anonymous_appeal, make_resident

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_worker_links_and_unlinks_from_the_appeal_page(world: AppealsWorld) -> None:
    grandma = make_resident(world.tree.building, "王桂英", 41)
    appeal = anonymous_appeal(world)
    assert appeal.requester_resident is None
    c = english_client(world.worker)
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


def test_only_residents_of_the_appeals_community(world: AppealsWorld) -> None:
    elsewhere = make_resident(world.tree.other_grid, "李四", 42)  # in the other community
    appeal = anonymous_appeal(world)
    # Even an administrator who sees both communities' registries cannot link across communities.
    with pytest.raises(ValidationError):
        requesters.requester_link(actor=world.admin, appeal=appeal, resident=elsewhere)
    # The worker does not reach that resident at all: an error on the page, nothing linked.
    c = english_client(world.worker)
    response = c.post(f"/appeals/{appeal.pk}/requester/", {"requester_resident": elsewhere.pk}, follow=True)
    assert "Choose a resident of this community" in response.content.decode()
    archived = make_resident(world.tree.building, "赵六", 43)
    Resident.objects.filter(pk=archived.pk).update(status=Resident.Status.MOVED_OUT)
    archived.refresh_from_db()
    with pytest.raises(ValidationError):
        requesters.requester_link(actor=world.worker, appeal=appeal, resident=archived)
    appeal.refresh_from_db()
    assert appeal.requester_resident is None
    assert _audits("appeal.requester_linked") == 0


def test_who_may_link(world: AppealsWorld) -> None:
    grandma = make_resident(world.tree.building, "王桂英", 41)
    appeal = anonymous_appeal(world)
    for user in (world.resident, world.volunteer, world.liaison, world.supervisor):
        with pytest.raises(PermissionDenied):
            requesters.requester_link(actor=user, appeal=appeal, resident=grandma)
        status = english_client(user).post(f"/appeals/{appeal.pk}/requester/", {"requester_resident": grandma.pk})
        assert status.status_code in (403, 404)
    assert "data-requester-link" not in english_client(world.supervisor).get(f"/appeals/{appeal.pk}/").content.decode()
    requesters.requester_link(actor=world.gridworker, appeal=appeal, resident=grandma)
    appeal.refresh_from_db()
    assert appeal.requester_resident == grandma


def test_link_over_the_api(world: AppealsWorld) -> None:
    grandma = make_resident(world.tree.building, "王桂英", 41)
    elsewhere = make_resident(world.tree.other_grid, "李四", 42)
    appeal = anonymous_appeal(world)
    c = english_client(world.worker)
    url = f"/api/v1/appeals/{appeal.pk}/requester-resident"
    response = c.put(url, json.dumps({"resident_id": grandma.pk}), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": appeal.pk, "requester_resident_id": grandma.pk}
    response = c.put(url, json.dumps({"resident_id": elsewhere.pk}), content_type="application/json")
    assert response.status_code == 422
    response = c.put(url, json.dumps({"resident_id": None}), content_type="application/json")
    assert response.json()["requester_resident_id"] is None
    body = json.dumps({"resident_id": grandma.pk})
    forbidden = english_client(world.liaison).put(url, body, content_type="application/json")
    assert forbidden.status_code in (403, 404)
    appeal.refresh_from_db()
    assert appeal.requester_resident is None
    assert _audits("appeal.requester_linked") == 1
    assert _audits("appeal.requester_unlinked") == 1
