"""On a phone: a resident opens 共谋议事, supports a neighbour's proposal, and with that support (the
threshold's last) the proposal goes on the agenda as a topic; the page says so and counts the household once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.consult.models import Proposal, ProposalSupport, Topic
from anju.consult.topics import services
from anju.testing.consult import make_consult_world
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_resident_supports_a_proposal_onto_the_agenda(phone_page: Page, live_server: Any) -> None:
    world = make_consult_world(households=3)
    proposal = services.proposal_make(actor=world.residents[0], title="议事亭加装顶棚", threshold=3)
    services.proposal_support(actor=world.residents[1], proposal=proposal)
    page = phone_page
    sign_in(page, world.residents[2].username)
    page.goto("/consult/")
    card = page.locator(f"#proposal-{proposal.pk}")
    expect(card).to_contain_text("议事亭加装顶棚")
    expect(page.locator(f"#proposal-{proposal.pk}-count")).to_contain_text("2")
    page.locator(f"#support-{proposal.pk}").click()
    expect(page.locator("main")).to_contain_text("已列入议程")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.REACHED
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 3
    topic = Topic.objects.get(pk=proposal.topic_id)
    expect(page.locator("#topics-h").locator("..")).to_contain_text(topic.title)
    # The topic's page on the phone.
    page.goto(f"/consult/topics/{topic.pk}/")
    expect(page.locator("h1")).to_contain_text("议事亭加装顶棚")
    expect(page.locator("main")).to_contain_text("3户支持")
