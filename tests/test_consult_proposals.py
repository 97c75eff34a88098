"""Proposals and their supports: one support per household (the database holds it), and the support that reaches
the threshold puts the proposal on the agenda as a topic exactly once, also when thirty households support it at
the same moment (SQLite on a file copy with the production options; PostgreSQL with real connections)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.consult.models import Proposal, ProposalSupport, Topic
from anju.consult.topics import services
from anju.testing import sqlite_file_database, thread_connection
from anju.testing.consult import make_consult_world

pytestmark = pytest.mark.django_db


def test_a_proposal_reaches_the_agenda_at_its_threshold_once() -> None:
    world = make_consult_world(households=4)
    proposal = services.proposal_make(actor=world.residents[0], title="楼道加装扶手", body="上下楼不便", threshold=3)
    assert (proposal.support_count, proposal.status, proposal.topic_id) == (1, "open", None)
    services.proposal_support(actor=world.residents[1], proposal=proposal)
    proposal = services.proposal_support(actor=world.residents[2], proposal=proposal)
    assert proposal.status == Proposal.Status.REACHED
    topic = proposal.topic
    assert topic is not None
    assert (topic.origin, topic.status, topic.title, topic.community_id) == (
        "proposal",
        "agenda",
        "楼道加装扶手",
        world.tree.community.pk,
    )
    # A support after the threshold is refused: the proposal is on the agenda, the count stands.
    with translation.override("en"), pytest.raises(ValidationError, match="no longer gathers support"):
        services.proposal_support(actor=world.residents[3], proposal=proposal)
    assert Topic.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CONSULT_PROPOSAL_REACHED).count() == 1


def test_one_support_per_household_in_the_users_language() -> None:
    world = make_consult_world(households=2)
    proposal = services.proposal_make(actor=world.residents[0], title="增设非机动车充电桩", threshold=5)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.proposal_support(actor=world.residents[0], proposal=proposal)
    assert "您家已经支持过这个提议" in str(caught.value)
    assert ProposalSupport.objects.count() == 1
    # And the database, behind the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalSupport.objects.create(
            community=world.tree.community, proposal=proposal, household=world.households[0], user=world.residents[1]
        )


def test_bad_input_writes_nothing() -> None:
    world = make_consult_world(households=1)
    before = AuditEvent.objects.count()
    with translation.override("en"):
        with pytest.raises(ValidationError, match="only in your own community"):
            services.proposal_make(actor=world.residents[0], title="x", community=world.tree.other_community)
        with pytest.raises(ValidationError, match="not linked to a household"):
            services.proposal_make(actor=world.users["unlinked"], title="x")
        with pytest.raises(ValidationError, match="Give it a title"):
            services.proposal_make(actor=world.residents[0], title="  ")
        proposal_elsewhere = services.proposal_make(actor=world.users["outsider"], title="宝塔的提议")
        with pytest.raises(ValidationError, match="your own community only"):
            services.proposal_support(actor=world.residents[0], proposal=proposal_elsewhere)
    assert Proposal.objects.count() == 1
    assert ProposalSupport.objects.count() == 1
    assert AuditEvent.objects.count() == before + 2  # the outsider's proposal and its first support


def test_typed_numbers_are_masked_in_public_text() -> None:
    world = make_consult_world(households=1)
    proposal = services.proposal_make(actor=world.residents[0], title="路灯坏了", body="联系我 13912345678")
    assert "13912345678" not in proposal.body


HOUSEHOLDS = 30
THRESHOLD = 10


@pytest.mark.xdist_group("connections")  # a race of tens of connections (make test: --dist loadgroup)
@pytest.mark.django_db(transaction=True)
def test_threshold_to_agenda_exactly_once_under_concurrent_supports(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "consult.sqlite3"):
        world = make_consult_world("race", households=HOUSEHOLDS + 1)
        proposal = services.proposal_make(actor=world.residents[0], title="议事亭加装顶棚", threshold=THRESHOLD)
        start = threading.Barrier(HOUSEHOLDS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def support(user: object) -> None:
            with thread_connection():
                start.wait(timeout=60)
                try:
                    services.proposal_support(actor=user, proposal=proposal)
                    result = "ok"
                except ValidationError:
                    result = "refused"
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=support, args=(u,)) for u in world.residents[1:]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(outcomes) == HOUSEHOLDS
        proposal.refresh_from_db()
        # The proposer's support and nine more reach it; the other twenty are refused, nothing written for them.
        assert outcomes.count("ok") == THRESHOLD - 1
        assert outcomes.count("refused") == HOUSEHOLDS - (THRESHOLD - 1)
        assert proposal.support_count == THRESHOLD == ProposalSupport.objects.filter(proposal=proposal).count()
        assert Topic.objects.filter(origin=Topic.Origin.PROPOSAL).count() == 1
        assert proposal.topic_id is not None
        assert AuditEvent.objects.filter(action=Action.CONSULT_PROPOSAL_REACHED).count() == 1
        print(f"\n{connection.vendor}: {HOUSEHOLDS} concurrent supports, threshold {THRESHOLD}: one topic")
