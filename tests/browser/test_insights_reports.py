"""On a phone: the secretary opens the annual reports, asks for this year's report of the community, the list
follows the worker's progress by itself, and the link to the worker-built PDF appears; the PDF holds the
community's name and the honour roll of the campaign made final this year."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from anju.consult.honours.publicity import services as publicity
from anju.consult.models import NominationStatus
from anju.insights.models import Report
from anju.jobs.worker import run_once
from anju.testing.honours import make_honours_world, notice_over, on_notice
from browser.test_appeals_people import sign_in

pytestmark = pytest.mark.browser


def test_the_secretary_asks_for_the_years_report_and_gets_the_pdf_on_a_phone(
    phone_page: Page, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    hw = make_honours_world()
    noticed, _nominees = on_notice(hw)
    notice_over(noticed)
    publicity.results_publish(actor=hw.secretary, campaign=noticed)
    honoured = list(noticed.nominations.filter(status=NominationStatus.HONOURED).values_list("name", flat=True))
    assert honoured
    page = phone_page
    sign_in(page, hw.secretary.username)
    page.goto("/insights/reports/")
    expect(page.locator("main h1")).to_have_text("年度报告")
    page.locator("#report-year").select_option(str(timezone.localdate().year))
    page.locator("#report-ask").click()
    expect(page.locator("#reports tr[data-report]")).to_have_count(1)
    expect(page.locator("#reports")).to_contain_text("正在生成")
    expect(page.locator("[data-pdf]")).to_have_count(0)
    report = Report.objects.get()
    assert (report.community_id, report.requested_by_id) == (hw.community.pk, hw.secretary.pk)
    run_once()  # the worker writes the report; the page polls and shows the link by itself
    link = page.locator(f"#report-{report.pk} [data-pdf]")
    expect(link).to_be_visible()
    expect(link).to_contain_text("PDF")
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scrolling
    href = link.get_attribute("href")
    assert href
    answer = page.request.get(href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(answer.body())).pages)
    for expected in (hw.community.name, "荣誉榜", noticed.title, *honoured):
        assert "".join(expected.split()) in text, expected
