"""On a phone: a resident scores a nominee of the area in the mutual evaluation (成果互评), once; the secretary
answers an objection raised during the public notice and makes the results final (the honour roll published)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.bulletin.models import Notice
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import CampaignStatus, NominationStatus, ObjectionStatus, ScoreSheet
from anju.testing.honours import in_scoring, make_honours_world, notice_over, on_notice
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_resident_scores_and_the_secretary_answers_an_objection_and_publishes(
    phone_page: Page, live_server: Any
) -> None:
    hw = make_honours_world()
    scoring, (wang, _sun) = in_scoring(hw, title="文明家庭")
    page = phone_page
    sign_in(page, hw.resident.username)
    page.goto(f"/consult/honours/{scoring.pk}/")
    page.locator(f"#score-open-{wang.pk}").click()
    for select in page.locator(f"#nominee-{wang.pk} select").all():
        select.select_option("4")
    page.locator(f"#score-submit-{wang.pk}").click()
    expect(page.locator(f"#scored-{wang.pk}")).to_be_visible()
    expect(page.locator(f"#score-open-{wang.pk}")).to_have_count(0)
    sheet = ScoreSheet.objects.get(campaign=scoring)
    assert (sheet.nomination_id, sheet.household_id) == (wang.pk, hw.households[0].pk)

    noticed, (first, _second) = on_notice(hw)
    objection = publicity.objection_raise(actor=hw.neighbour, campaign=noticed, nomination=first, body="有异议")
    notice_over(noticed)
    sign_in(page, hw.secretary.username)
    page.goto(f"/consult/honours/{noticed.pk}/")
    page.locator(f"#a-answer-{objection.pk}").fill("经网格员核实，情况不属实")
    page.locator(f"#answer-{objection.pk}").click()
    expect(page.locator(f"#objection-{objection.pk}")).to_contain_text("经网格员核实，情况不属实")
    page.locator("#publish-results").click()
    expect(page.locator("#campaign-status")).to_have_text("已确定")
    noticed.refresh_from_db()
    assert noticed.status == CampaignStatus.FINAL
    assert objection.__class__.objects.get(pk=objection.pk).status == ObjectionStatus.REJECTED
    first.refresh_from_db()
    assert first.status == NominationStatus.HONOURED
    assert first.name in Notice.objects.get(pk=noticed.roll_id).body
    expect(page.locator(f"#certificate-{first.pk}")).to_be_visible()
