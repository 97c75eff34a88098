"""On a phone: a resident opens the convention, comments on an article of the revision under public comment,
and acknowledges the version in force for the household (签字确认) — once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from anju.consult.convention import services
from anju.consult.models import Acknowledgement, ArticleComment
from anju.testing.convention import in_force, make_convention_world
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_resident_comments_on_an_article_and_acknowledges_the_convention(phone_page: Page, live_server: Any) -> None:
    cw = make_convention_world()
    v1 = in_force(cw.community, actor=cw.worker)
    v2 = services.convention_revise(actor=cw.worker, convention=v1.convention, change_note="增加消防条款")
    v2 = services.comment_open(actor=cw.worker, version=v2, until=timezone.localdate() + dt.timedelta(days=7))
    page = phone_page
    sign_in(page, cw.resident.username)
    page.goto("/consult/convention/")
    expect(page.locator("main")).to_contain_text("爱护环境")
    page.locator(f"#comment-link-{v2.pk}").click()
    page.locator("#comment-open-3").click()
    page.locator("#comment-body-3").fill("建议写明遛狗时间，早晚高峰避开小孩上学")
    page.locator("#comment-send-3").click()
    expect(page.locator(".messages")).to_contain_text("意见已记录")
    comment = ArticleComment.objects.get()
    assert (comment.article.number, comment.household_id, comment.assisted) == (3, cw.households[0].pk, False)
    page.goto("/consult/convention/")
    page.locator("#acknowledge").click()
    expect(page.locator("#ack-done")).to_be_visible()
    expect(page.locator("#acknowledge")).to_have_count(0)
    ack = Acknowledgement.objects.get()
    assert (ack.version_id, ack.household_id, ack.method) == (v1.pk, cw.households[0].pk, "online")
