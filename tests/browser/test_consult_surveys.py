"""Opinion collection in a browser: a resident answers the station survey on a phone; a worker types in two paper
forms with the keyboard only (door number, option numbers, Enter, the next form ready) and a bench meeting's
show of hands, closes the survey, and the results page shows each channel with the hands beside the counts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from anju.consult.models import Participation, Tally
from anju.testing.surveys import make_survey_world
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_resident_answers_on_a_phone_and_a_worker_types_in_paper_and_hands(
    phone_page: Page, page: Page, live_server: Any
) -> None:
    sw = make_survey_world()
    sid = sw.survey.pk

    # The resident, on a phone.
    phone = phone_page
    sign_in(phone, sw.users["resident"].username)
    phone.goto("/consult/surveys/")
    phone.get_by_role("link", name=sw.survey.title).click()
    phone.locator("#survey-form").get_by_label("赞成").check()
    phone.locator("#survey-form").get_by_label("阅览室").check()
    phone.locator("#survey-form").get_by_label("共享厨房").check()
    phone.locator(f"#q{sw.rating.pk}-set").get_by_label("4").check()
    phone.locator(f"textarea[name=q{sw.text.pk}]").fill("希望早点建好")
    phone.locator("#survey-submit").click()
    expect(phone.locator("#survey-answered")).to_be_visible()
    assert Participation.objects.get(household=sw.households[0]).channel == "online"

    # The worker, at a desk: paper forms, keyboard only.
    sign_in(page, sw.users["community_worker"].username)
    page.goto(f"/consult/surveys/{sid}/paper/")
    for door, choice, rooms, rating in (("103", "1", "1 3", "5"), ("203", "2", "2", "2")):
        expect(page.locator("#id_door")).to_be_focused()
        page.keyboard.type(door)
        page.keyboard.press("Tab")
        page.keyboard.type(choice)
        page.keyboard.press("Tab")
        page.keyboard.type(rooms)
        page.keyboard.press("Tab")
        page.keyboard.type(rating)
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text(door)
    expect(page.locator("#entered")).to_contain_text("2")
    # A form for the household that answered online: refused in the worker's language, nothing written.
    page.locator("#id_door").fill("1-101")
    page.locator(f"#id_q{sw.single.pk}").fill("2")
    page.locator(f"#id_q{sw.multiple.pk}").fill("1")
    page.locator(f"#id_q{sw.rating.pk}").fill("3")
    page.keyboard.press("Enter")
    expect(page.locator("#survey-errors")).to_contain_text("每户只能填一份")
    assert Participation.objects.filter(survey=sw.survey).count() == 3

    # A bench meeting's show of hands: more hands than people is refused, then the right count is kept.
    page.goto(f"/consult/surveys/{sid}/tally/")
    page.locator("#id_meeting").fill("巷口板凳会")
    page.locator("#id_attendance").fill("20")
    page.locator("#id_votes_1").fill("25")
    page.locator("#tally-save").click()
    expect(page.locator("#survey-errors")).to_contain_text("请重新清点")
    assert Tally.objects.count() == 0
    page.locator("#id_votes_1").fill("15")
    page.locator("#id_votes_2").fill("3")
    page.locator("#id_votes_3").fill("1")
    page.locator("#tally-save").click()
    expect(page.locator("#tally-form")).to_be_visible()
    assert Tally.objects.count() == 1

    # Close, then the results: each channel, the households' counts, the hands beside them.
    page.goto(f"/consult/surveys/{sid}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#survey-close").click()
    expect(page.locator("#survey-status")).to_contain_text("已结束")
    page.goto(f"/consult/surveys/{sid}/results/")
    expect(page.locator("#participants")).to_contain_text("3 / 5")
    stats = page.locator(".channel-stat")
    expect(stats).to_have_count(3)
    expect(stats.nth(0)).to_contain_text("线上填写")
    expect(stats.nth(0)).to_contain_text("1")
    expect(stats.nth(2)).to_contain_text("纸质问卷")
    expect(stats.nth(2)).to_contain_text("2")
    expect(page.locator(".tally-box")).to_contain_text("巷口板凳会")
    expect(page.locator(".tally-box")).to_contain_text("不计入")

    # The resident sees the closed survey's results too, on the phone.
    phone.goto(f"/consult/surveys/{sid}/results/")
    expect(phone.locator("#participants")).to_contain_text("3 / 5")
