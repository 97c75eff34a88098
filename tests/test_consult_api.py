"""The consult API: a resident proposes and supports over JSON (one support per household: the second answers
422 in the account's language), staff plan a meeting and record decisions (without an owner: 422, nothing
written), and another community's objects answer 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from anju.consult.models import Decision, Proposal, ProposalSupport
from anju.consult.topics import services as topics
from anju.testing.consult import make_consult_world

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_proposals_and_supports_over_json() -> None:
    world = make_consult_world(households=2)
    me = _client(world.residents[0])
    made = me.post("/api/v1/consult/proposals", {"title": "增设休息座椅"}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["support_count"], body["supported"], body["status"]) == (1, True, "open")
    again = me.post(f"/api/v1/consult/proposals/{body['id']}/supports", {}, content_type="application/json")
    assert again.status_code == 422
    assert "您家已经支持过这个提议" in str(again.json()["error"]["details"])  # the account's language
    neighbour = _client(world.residents[1])
    supported = neighbour.post(f"/api/v1/consult/proposals/{body['id']}/supports", {}, content_type="application/json")
    assert supported.status_code == 201
    assert supported.json()["support_count"] == 2
    # A proposal in another community: refused, nothing written.
    elsewhere = me.post(
        "/api/v1/consult/proposals",
        {"title": "别处", "community_id": world.tree.other_community.pk},
        content_type="application/json",
    )
    assert elsewhere.status_code == 422
    assert "只能在自己所在的社区提出提议" in str(elsewhere.json())
    assert Proposal.objects.count() == 1
    # Another community's resident does not see it.
    outsider = _client(world.users["outsider"])
    assert outsider.get("/api/v1/consult/proposals").json() == []
    response = outsider.post(f"/api/v1/consult/proposals/{body['id']}/supports", {}, content_type="application/json")
    assert response.status_code == 404
    assert ProposalSupport.objects.count() == 2


def test_meetings_and_decisions_over_json() -> None:
    world = make_consult_world(households=1)
    worker = world.users["worker"]
    topic = topics.topic_open(actor=worker, community=world.tree.community, title="楼道堆物清理")
    staff = _client(worker)
    starts = dt.datetime(2030, 5, 20, 9, 30, tzinfo=dt.UTC)
    made = staff.post(
        "/api/v1/consult/meetings",
        {
            "community_id": world.tree.community.pk,
            "kind": "pavilion",
            "title": "议事亭议事",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
            "place": "议事亭",
            "topic_ids": [topic.pk],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    meeting = made.json()
    assert meeting["topic_ids"] == [topic.pk]
    url = f"/api/v1/consult/meetings/{meeting['id']}/decisions"
    no_owner = staff.post(url, {"topic_id": topic.pk, "text": "清理楼道", "due_on": "2030-06-01"}, "application/json")
    assert no_owner.status_code == 422
    assert "请指定负责落实的人" in str(no_owner.json())
    assert Decision.objects.count() == 0
    decided = staff.post(
        url,
        {"topic_id": topic.pk, "text": "清理楼道", "owner_id": worker.pk, "due_on": "2030-06-01"},
        "application/json",
    )
    assert decided.status_code == 201, decided.content
    done = staff.post(f"/api/v1/consult/decisions/{decided.json()['id']}/done", {"note": "已清理"}, "application/json")
    assert done.json()["status"] == "done"
    tally = staff.put(
        f"/api/v1/consult/meetings/{meeting['id']}/minutes", {"minutes": "x", "head_count": -3}, "application/json"
    )
    assert tally.status_code == 422
    other = _client(world.users["other_worker"])
    assert other.get(f"/api/v1/consult/meetings/{meeting['id']}").status_code == 404
    assert other.get(f"/api/v1/consult/topics/{topic.pk}").status_code == 404
    assert other.post(url, {}, "application/json").status_code == 404
