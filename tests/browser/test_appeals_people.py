"""In a real browser: a worker reveals an anonymous requester's number in place (htmx), and a volunteer
on a phone picks the resident they file for from the registry search."""

from __future__ import annotations

import importlib
import re
from datetime import date
from typing import Any

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from anju.access.roles import Role
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, Channel
from anju.audit.models import PiiAccess
from anju.people import fakes
from anju.people import services as people_services
from anju.testing import TEST_PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def _catalogue() -> Category:
    importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(django_apps, None)
    return Category.objects.get(code="street-lamp")


def test_worker_reveals_the_number_in_place(page: Page, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = build_tree()
    category = _catalogue()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community, username="b-worker")
    appeal = intake.appeal_file(
        actor=None,
        community=tree.community,
        category=category,
        description="楼下路灯不亮",
        location=tree.community,
        channel=Channel.ANONYMOUS,
        contact_name="王大妈",
        contact_mobile="17000000055",
    )
    sign_in(page, worker.username)
    page.goto(f"/appeals/{appeal.pk}/")
    expect(page.locator("#appeal-contact-mobile")).to_contain_text("170****0055")
    page.locator("[data-reveal] summary").click()
    page.locator("#appeal-reveal-purpose").select_option("callback")
    page.locator("#appeal-reveal-reason").fill("电话回访诉求人")
    url = page.url
    page.locator("[data-reveal] button[type=submit]").click()
    expect(page.locator("[data-revealed]")).to_have_text("17000000055")
    assert page.url == url  # in place, no navigation
    assert PiiAccess.objects.filter(field="contact_mobile", purpose="callback", reason="电话回访诉求人").count() == 1


def test_volunteer_picks_the_resident_on_a_phone(
    phone_page: Page, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = build_tree()
    category = _catalogue()
    volunteer = make_user(Role.VOLUNTEER, tree.area, username="b-volunteer")
    household = people_services.household_create(actor=None, unit=tree.building, door="101")
    grandma = people_services.resident_create(
        actor=None,
        household=household,
        name="孙桂兰",
        relation="head",
        id_number=fakes.id_number(date(1948, 3, 2), 7, male=False),
        mobile=fakes.mobile(7),
        birth_date=date(1948, 3, 2),
    )
    page = phone_page
    sign_in(page, volunteer.username)
    page.goto("/appeals/new/")
    page.locator("#resident-q").fill("sgl")
    choice = page.locator(f"#resident-choices input[value='{grandma.pk}']")
    expect(choice).to_be_visible()
    expect(page.locator("#resident-choices")).to_contain_text("孙*兰")
    choice.check()
    page.locator("#id_category").select_option(value=str(category.pk))
    page.locator("#id_location").select_option(value=str(tree.building.pk))
    page.locator("#id_description").fill("浏览器测试：帮孙奶奶报楼道灯")
    page.locator("#id_channel").select_option(value=Channel.VISIT)
    page.locator("#id_consent").check()
    page.locator("form.form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/appeals/\d+/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    appeal = Appeal.objects.get(description="浏览器测试：帮孙奶奶报楼道灯")
    assert appeal.requester_resident_id == grandma.pk
    assert appeal.filed_by_id == volunteer.pk


def test_worker_links_an_anonymous_appeal_to_the_registry_on_a_phone(
    phone_page: Page, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = build_tree()
    category = _catalogue()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community, username="b-linker")
    household = people_services.household_create(actor=None, unit=tree.building, door="202")
    grandma = people_services.resident_create(
        actor=None,
        household=household,
        name="王桂英",
        relation="head",
        id_number=fakes.id_number(date(1949, 4, 3), 8, male=False),
        mobile=fakes.mobile(8),
        birth_date=date(1949, 4, 3),
    )
    appeal = intake.appeal_file(
        actor=None,
        community=tree.community,
        category=category,
        description="楼下路灯不亮",
        location=tree.community,
        channel=Channel.ANONYMOUS,
        contact_name="王大妈",
        contact_mobile="17000000055",
    )
    page = phone_page
    sign_in(page, worker.username)
    page.goto(f"/appeals/{appeal.pk}/")
    page.locator("[data-requester-link] summary").click()
    page.locator("#link-resident-q").fill("wgy")
    choice = page.locator(f"#link-resident-choices input[value='{grandma.pk}']")
    expect(choice).to_be_visible()
    choice.check()
    page.locator("[data-requester-link] form button[type=submit]").first.click()
    expect(page.locator(f"a[href='/people/residents/{grandma.pk}/']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    appeal.refresh_from_db()
    assert appeal.requester_resident_id == grandma.pk
