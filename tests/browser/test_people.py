"""The registry in a real browser: import the template with 20 residents, search by pinyin
initials, reveal one mobile number with a reason, and find the reveal in the access log."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from anju.jobs.worker import run_once
from anju.people import fakes
from anju.people.importing import columns, template
from anju.people.models import ImportBatch, Resident
from anju.site.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()


def filled_template(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The downloadable template with 20 residents typed into its first sheet."""
    book = load_workbook(io.BytesIO(template.build_template()))
    sheet = book["居民"]
    rows = fakes.people_rows(20, buildings=["5栋"], start=5000)
    rows[0].update(name="邹思凡", relation="户主", mobile="17055550001")
    for index, row in enumerate(rows, start=2):
        for column, spec in enumerate(columns.COLUMNS, start=1):
            sheet.cell(row=index, column=column, value=row.get(spec.key, ""))
    path = tmp_path / "居民导入.xlsx"
    book.save(path)
    return path, rows[0]


def wait_for_batch(status: set[str]) -> ImportBatch:
    for _ in range(50):
        run_once()
        batch = ImportBatch.objects.order_by("-pk").first()
        if batch is not None and batch.status in status:
            return batch
    raise AssertionError("the import job did not finish")


def test_worker_imports_searches_reveals_and_supervisor_sees_the_log(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    load_demo(log=lambda *a: None)
    before = Resident.objects.count()
    path, first = filled_template(tmp_path)
    sign_in(page, "worker")

    page.goto("/people/import/")
    page.locator("#id_file").set_input_files(str(path))
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#import-status")).to_be_visible()
    wait_for_batch({"ready", "rejected"})
    # The page polls its progress and reloads itself when the check is done.
    commit = page.locator("form[action$='/commit/'] button")
    expect(commit).to_be_visible(timeout=15_000)
    assert Resident.objects.count() == before  # the check wrote nothing
    commit.click()
    wait_for_batch({"done", "rejected"})
    expect(page.locator(".msg-success")).to_be_visible(timeout=15_000)
    assert Resident.objects.count() == before + 20

    page.goto("/people/")
    page.locator("#id_q").fill("zsf")
    page.locator("form.filters button[type=submit]").click()
    row = page.locator("#resident-table tbody tr", has_text="邹思凡")
    expect(row).to_be_visible()
    expect(row).to_contain_text("170****0001")
    expect(page.locator("#resident-table")).not_to_contain_text("17055550001")

    row.get_by_role("link", name="邹思凡").click()
    page.locator("#reveal-field").select_option("mobile")
    page.locator("#reveal-purpose").select_option("home_visit")
    page.locator("#reveal-reason").fill("核对联系方式，准备入户走访")
    page.get_by_role("button", name=page.locator("form[hx-post] button").inner_text()).click()
    expect(page.locator("#reveal-result .revealed")).to_have_text(first["mobile"])

    page.locator("form[action$='/logout/'] button").click()
    sign_in(page, "supervisor")
    page.goto("/audit/personal-data/")
    log_row = page.locator("table tbody tr", has_text="核对联系方式，准备入户走访")
    expect(log_row).to_be_visible()
    expect(log_row).to_contain_text("worker")
    expect(log_row).to_contain_text("邹*凡")
    expect(page.locator("main")).not_to_contain_text("17055550001")


def test_residents_on_a_phone_are_cards_and_a_resident_is_added(phone_page: Page, live_server: Any) -> None:
    """At 360 px the residents list is a column of cards (no sideways scroller); 新增居民 registers someone."""
    load_demo(log=lambda *a: None)
    page = phone_page
    sign_in(page, "worker")
    page.goto("/people/")
    expect(page.locator("#resident-table tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.querySelector('.table-cards-wrap').scrollWidth") <= 360
    page.get_by_role("link", name="新增居民").click()
    page.locator("#id_door").fill("808")
    page.locator("#id_name").fill("邹新来")
    page.locator("#id_relation").select_option("head")
    page.locator("#id_id_number").fill(fakes.people_rows(1, buildings=["1栋"], start=7100)[0]["id_number"])
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("main h1")).to_contain_text("邹新来")
    assert Resident.objects.filter(name="邹新来", household__address__door="808").exists()
