"""Open311 GeoReport v2, checked against the shapes of the spec's examples
(http://wiki.open311.org/GeoReport_v2)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from anju.accounts import services as account_services
from anju.appeals.models import Appeal, Channel, Status
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
def api_key(world: AppealsWorld) -> str:
    _token, raw = account_services.token_create(actor=None, user=world.worker, name="open311")
    return raw


def test_discovery_and_services(world: AppealsWorld) -> None:
    c = Client()
    discovery = c.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "application/json" in discovery["endpoints"][0]["formats"]
    services = c.get("/open311/v2/services.json").json()
    lamp = next(s for s in services if s["service_code"] == "street-lamp")
    assert set(lamp) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert lamp["metadata"] is False
    assert lamp["type"] == "realtime"
    definition = c.get("/open311/v2/services/street-lamp.json").json()
    assert definition == {"service_code": "street-lamp", "attributes": []}
    missing = c.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "service_code nope not found"}]
    xml = c.get("/open311/v2/services.xml")
    assert xml["Content-Type"].startswith("text/xml")
    assert ET.fromstring(xml.content).tag == "services"  # noqa: S314  our own response


def test_get_requests_fields_status_and_masking(world: AppealsWorld) -> None:
    open_one = world.file(contact_mobile="17000000088")
    world.to_status(open_one, Status.DISPATCHED)
    closed = world.to_status(world.file(), Status.VERIFIED)
    from anju.appeals.callback import services as callback

    callback.appeal_callback(actor=world.resident, appeal=closed, resolved=True, satisfaction=world.level("satisfied"))
    c = Client()
    assert c.get("/open311/v2/requests.json").json() == []  # the community publishes nothing until it chooses
    from anju.appeals import privacy

    privacy.publication_set(actor=world.worker, community=world.tree.community, level="basic")
    body = c.get("/open311/v2/requests.json").json()
    assert len(body) == 2
    assert all(set(r) == REQUEST_FIELDS for r in body)
    by_id = {r["service_request_id"]: r for r in body}
    first = by_id[str(open_one.pk)]
    assert first["status"] == "open"
    assert first["agency_responsible"] == ""  # not chosen for publication
    assert first["expected_datetime"] is not None
    assert first["requested_datetime"].endswith("+08:00")
    assert by_id[str(closed.pk)]["status"] == "closed"
    text = c.get("/open311/v2/requests.json").content.decode()
    assert "17000000088" not in text
    assert str(world.resident) not in text
    assert [r["service_request_id"] for r in c.get("/open311/v2/requests.json?status=closed").json()] == [
        str(closed.pk)
    ]
    assert len(c.get(f"/open311/v2/requests.json?service_request_id={open_one.pk},{closed.pk}").json()) == 2
    assert c.get("/open311/v2/requests.json?service_code=gas-leak").json() == []
    assert c.get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z").json() == []
    bad = c.get("/open311/v2/requests.json?start_date=yesterday")
    assert bad.status_code == 400
    assert bad.json()[0]["code"] == 400
    one = c.get(f"/open311/v2/requests/{open_one.pk}.json").json()
    assert isinstance(one, list)
    assert one[0]["service_request_id"] == str(open_one.pk)
    assert c.get("/open311/v2/requests/999999.json").status_code == 404


def test_post_request_like_the_spec_example(world: AppealsWorld, api_key: str) -> None:
    c = Client()
    data: dict[str, Any] = {
        "api_key": api_key,
        "service_code": "street-lamp",
        "address_id": str(world.tree.building.pk),
        "lat": "30.4536",
        "long": "114.8722",
        "description": "路灯一直闪",
        "first_name": "明",
        "last_name": "周",
        "phone": "17000000044",
    }
    response = c.post("/open311/v2/requests.json", data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    appeal = Appeal.objects.get(pk=body[0]["service_request_id"])
    assert appeal.channel == Channel.OPEN311
    assert appeal.filed_by == world.worker
    assert float(appeal.lat or 0) == pytest.approx(30.4536)


def test_post_errors_change_nothing(world: AppealsWorld, api_key: str) -> None:
    c = Client()
    base = {
        "api_key": api_key,
        "service_code": "street-lamp",
        "description": "x",
        "phone": "17000000044",
        "first_name": "明",
    }
    no_location = c.post("/open311/v2/requests.json", base)
    assert no_location.status_code == 400
    assert no_location.json() == [
        {"code": 400, "description": "a location is required: lat and long, address_string or address_id"}
    ]
    assert c.post("/open311/v2/requests.json", {**base, "api_key": "anju_bad"}).status_code == 403
    assert (
        c.post(
            "/open311/v2/requests.json", {**base, "service_code": "", "address_id": world.tree.building.pk}
        ).status_code
        == 400
    )
    unknown = c.post(
        "/open311/v2/requests.json", {**base, "service_code": "nope", "address_id": world.tree.building.pk}
    )
    assert unknown.status_code == 404
    outside = c.post("/open311/v2/requests.json", {**base, "address_id": world.tree.other_grid.pk})
    assert outside.status_code == 403  # the key's user serves another community
    assert Appeal.objects.count() == 0
