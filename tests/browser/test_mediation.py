"""A worker refers a neighbour dispute filed as an appeal to mediation; the mediator books a session in the
mediation room, records the agreement and prints the 调解协议书; back on the appeal, the worker sees the case's
number and status, and nothing of the case."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from anju.appeals.intake import services as intake
from anju.appeals.models import Category, Channel
from anju.mediation.models import Case, Status
from anju.testing.mediation import make_mediation_world
from anju.testing.spaces import days_ahead
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_an_appeal_referred_to_mediation_ends_in_a_printed_agreement(page: Page, live_server: Any) -> None:
    importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(django_apps, None)
    mw = make_mediation_world()
    appeal = intake.appeal_file(
        actor=mw.users["resident"],
        community=mw.tree.community,
        category=Category.objects.filter(is_active=True).first(),
        description="楼上邻居在楼道堆放杂物，多次沟通无果",
        location=mw.tree.building,
        channel=Channel.APP,
    )
    worker, mediator = mw.users["opener"], mw.users["mediator"]

    sign_in(page, worker.username)
    page.goto(f"/appeals/{appeal.pk}/")
    page.locator("[data-referral-offer]").click()
    expect(page.locator("#from-appeal")).to_contain_text(appeal.number)
    page.locator("#id_kind").select_option("neighbours")
    page.locator("#id_account").fill("两户因楼道堆放杂物发生争执。")
    page.locator("#party_name_0").fill("孙文华")
    page.locator("#party_name_1").fill("周建国")
    page.locator("#party_role_1").select_option("respondent")
    page.locator("#id_lead").select_option(str(mediator.pk))
    page.locator("#case-save").click()
    expect(page.locator("#case-status")).to_be_visible()
    case = Case.objects.get(appeal=appeal)
    # The worker who opened it reads its status, not its content.
    expect(page.locator("main")).not_to_contain_text("孙文华")

    sign_in(page, mediator.username)
    page.goto(f"/mediation/cases/{case.pk}/")
    expect(page.locator("#parties")).to_contain_text("孙文华")
    day = days_ahead(2).isoformat()
    page.locator("#id_space").select_option(str(mw.room.pk))
    page.locator("#id_starts_at").fill(f"{day}T10:00")
    page.locator("#id_ends_at").fill(f"{day}T11:00")
    page.locator("#session-save").click()
    expect(page.locator("#sessions")).to_contain_text("矛盾纠纷调解室")
    page.locator("#agreement-new").click()
    page.locator("#facts").fill("双方确认楼道杂物系周建国家堆放。")
    respondent = case.parties.get(name="周建国")
    page.locator("#party_0").select_option(str(respondent.pk))
    page.locator("#text_0").fill("三日内清理楼道杂物")
    page.locator("#due_0").fill(days_ahead(3).isoformat())
    page.locator("#agreement-save").click()
    expect(page.locator("#undertakings")).to_contain_text("三日内清理楼道杂物")
    case.refresh_from_db()
    assert case.status == Status.AGREED
    page.locator("#print-agreement").click()
    expect(page.locator("main.sheet h1")).to_contain_text("人民调解协议书")
    expect(page.locator("main.sheet")).to_contain_text("孙文华")
    expect(page.locator("main.sheet")).to_contain_text("三日内清理楼道杂物")
    pdf = page.request.get(page.url + "?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"

    sign_in(page, worker.username)
    page.goto(f"/appeals/{appeal.pk}/")
    expect(page.locator("[data-referral-number]")).to_have_text(case.number)
    expect(page.locator("[data-referral-status]")).to_have_text("已达成协议，回访中")
    main = page.locator("main")
    for secret in ("孙文华", "周建国", "三日内清理楼道杂物", "双方确认"):
        expect(main).not_to_contain_text(secret)
