"""On a phone: a central household opens "this week", records a door visit that finds a broken stair light,
files it as an appeal in the same step, and the appeal shows up in the community worker's queue, linked to
the visit both ways."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from anju.appeals.models import Appeal
from anju.pairing import services
from anju.pairing.models import Visit
from anju.testing.pairing import make_pairing_world
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_a_door_visit_files_an_appeal_that_reaches_the_worker(
    phone_page: Page, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(django_apps, None)
    world = make_pairing_world()
    household = world.households[0]
    services.pairing_set(actor=None, household=household, central=world.central, reason="包保")
    page = phone_page
    sign_in(page, world.users["volunteer"].username)
    page.goto("/pairing/")
    expect(page.locator("#due-count")).to_contain_text("1")
    page.locator("#due-list").get_by_role("link", name=re.compile("记录走访")).first.click()
    page.get_by_label("上门").check()
    page.get_by_label("需要关注").check()
    page.get_by_label("维修（灯、楼梯等）").check()
    page.locator("#id_note").fill("三楼楼道灯坏了，晚上看不见")
    page.get_by_label("现在代为提交诉求").check()
    page.locator("#id_category").select_option(label="路灯损坏")
    page.locator("#visit-save").click()
    expect(page.locator("#visit-appeal")).to_be_visible()
    visit = Visit.objects.get(household=household)
    appeal = Appeal.objects.get(pk=visit.appeal_id)
    # Saved once, whatever the phone does next.
    page.go_back()
    assert Visit.objects.count() == 1
    sign_in(page, world.users["community_worker"].username)
    page.goto("/appeals/")
    expect(page.locator("main")).to_contain_text(appeal.number)
    page.goto(f"/appeals/{appeal.pk}/")
    expect(page.locator("main")).to_contain_text(f"走访记录 #{visit.pk}")
    page.goto(f"/pairing/visits/{visit.pk}/")
    expect(page.locator("#visit-appeal")).to_contain_text(appeal.number)
