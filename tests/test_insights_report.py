"""The annual report: the demo community's report for the demo year rendered by the worker and read back with
pypdf (section titles, the community's name, its figures); the one-report-at-a-time rule (also under a race on
PostgreSQL); a year out of range and a community out of reach refused without writing anything; the pages, the
API and the download within reach, with audit rows."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from anju.accounts.models import User
from anju.audit.models import AuditEvent
from anju.insights import annual, services
from anju.insights.charts import number_text
from anju.insights.models import Report
from anju.jobs.models import Job
from anju.jobs.worker import run_once
from anju.orgs.models import OrgUnit
from anju.site.demo import load_demo
from anju.testing.demo import restore_seed_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(media_root: None) -> dict[str, Any]:
    restore_seed_data()
    load_demo(log=lambda *args: None)
    return {
        "community": OrgUnit.objects.get(name="安居社区"),
        "users": {u.username: u for u in User.objects.all()},
        "year": timezone.localdate().year,
    }


def pdf_text(report: Report) -> tuple[str, int]:
    with report.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return "\n".join(page.extract_text() or "" for page in reader.pages), len(reader.pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_the_demo_report_renders_with_its_titles_name_and_figures(demo_world: dict[str, Any]) -> None:
    secretary = demo_world["users"]["secretary"]
    community = demo_world["community"]
    with translation.override("zh-hans"):
        report, created = services.report_request(actor=secretary, community=community, year=demo_world["year"])
    assert created
    assert report.status == Report.Status.QUEUED
    assert Job.objects.filter(name=services.TASK, payload={"report_id": report.pk}).count() == 1
    run_once()
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    assert report.progress == 100
    text, pages = pdf_text(report)
    assert 6 <= pages <= 12, pages
    assert report.pages == pages
    flat = squeeze(text)
    assert "安居社区" in flat
    for title in ("年度报告", "党群服务站及其场地", "年度数字", "图表", "重点活动", "吹哨", "包保", "轮值", "协商议事"):
        assert title in flat, title
    # The figures of the year as the dashboard counts them.
    contents = annual.Contents(report=report, community=community)
    with translation.override("zh-hans"):
        annual.read_figures(contents)
    assert contents.dash is not None
    received = contents.dash.value("appeals", "received")
    assert received
    assert squeeze(number_text(received)) in flat
    households = contents.dash.value("registry", "households")
    assert households
    assert squeeze(number_text(households)) in flat


def test_a_second_request_while_running_returns_the_same_report(demo_world: dict[str, Any]) -> None:
    worker = demo_world["users"]["worker"]
    community = demo_world["community"]
    first, created = services.report_request(actor=worker, community=community, year=demo_world["year"])
    events = AuditEvent.objects.count()
    again, created_again = services.report_request(actor=worker, community=community, year=demo_world["year"])
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert Report.objects.filter(community=community).count() == 1
    assert Job.objects.filter(name=services.TASK).count() == 1
    assert AuditEvent.objects.count() == events  # nothing written


@pytest.mark.parametrize("year", [1999, 3000, "next", None])
def test_a_year_out_of_range_is_refused(demo_world: dict[str, Any], year: Any) -> None:
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"), pytest.raises(ValidationError, match="请选择"):
        services.report_request(actor=demo_world["users"]["worker"], community=demo_world["community"], year=year)
    assert not Report.objects.exists()
    assert not Job.objects.filter(name=services.TASK).exists()


def test_the_report_shows_the_honour_roll_and_contributions_without_naming_the_anonymous(
    demo_world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    from anju.consult.models import Campaign, CampaignStatus, Nomination, NominationStatus
    from anju.contributions import services as contributions
    from anju.contributions.models import Contribution, Kind, Project, Unit

    community = demo_world["community"]
    campaign = Campaign.objects.get(community=community, status=CampaignStatus.FINAL)
    assert campaign.finalised_on is not None
    year = campaign.finalised_on.year
    honoured = list(
        Nomination.objects.filter(campaign=campaign, status=NominationStatus.HONOURED).values_list("name", flat=True)
    )
    assert honoured
    project = Project.objects.get(community=community)
    contributions.contribution_record(
        actor=demo_world["users"]["worker"],
        project=project,
        contributor=Contribution.Contributor.PERSON,
        name="不愿具名的李秀英",
        anonymous=True,
        kind=Kind.GOODS,
        quantity="12",
        unit=Unit.ITEM,
        day=campaign.finalised_on,
        description="十二把折叠椅",
    )
    with translation.override("zh-hans"):
        report, _created = services.report_request(
            actor=demo_world["users"]["secretary"], community=community, year=year
        )
    run_once()
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    text, pages = pdf_text(report)
    assert 6 <= pages <= 12, pages
    flat = squeeze(text)
    for title in ("荣誉榜", campaign.title, *honoured, "共建", project.name, "12件"):
        assert squeeze(title) in flat, title
    assert "李秀英" not in flat  # an anonymous contributor is never named
    # One aggregate query per section, whatever the rows: contributions (by project, kind and unit; money in and
    # out), the honour roll (campaigns and their honoured nominees together).
    contents = annual.Contents(report=report, community=community)
    with translation.override("zh-hans"):
        with django_assert_num_queries(2):
            annual.read_contributions(contents)
        with django_assert_num_queries(1):
            annual.read_honours(contents)
    assert [p["name"] for p in contents.contributions] == [project.name]
    assert any(k["quantity"] == "12 件" and k["count"] == 1 for k in contents.contributions[0]["kinds"])
    assert [h["title"] for h in contents.honours] == [campaign.title]
    assert [n["name"] for n in contents.honours[0]["honoured"]] == honoured


def test_the_reports_page_asks_the_worker_and_links_the_pdf(demo_world: dict[str, Any]) -> None:
    from django.test import Client
    from django.urls import reverse

    from anju.audit.actions import Action

    secretary = demo_world["users"]["secretary"]
    community = demo_world["community"]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(secretary)
    url = reverse("insights:reports")
    page = client.get(url)
    assert page.status_code == 200
    assert f'<option value="{community.pk}">' in page.content.decode()
    asked = client.post(url, {"community": community.pk, "year": demo_world["year"]})
    assert asked.status_code == 302
    report = Report.objects.get(community=community)
    assert report.requested_by == secretary
    again = client.post(url, {"community": community.pk, "year": demo_world["year"]})
    assert again.status_code == 302
    assert Report.objects.count() == 1  # one report, one job, while the first is running
    assert Job.objects.filter(name=services.TASK).count() == 1
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in running  # the list follows the progress
    assert "data-pdf" not in running
    run_once()
    done = client.get(url).content.decode()
    pdf_url = reverse("insights:report_pdf", args=[report.pk])
    assert pdf_url in done
    assert 'hx-trigger="every 2s"' not in done
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.REPORT_DOWNLOADED, object_id=str(report.pk)).count() == 1


def test_the_reports_page_refuses_bad_input_without_writing(demo_world: dict[str, Any]) -> None:
    from django.test import Client
    from django.urls import reverse

    from anju.orgs.models import UnitKind

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(demo_world["users"]["secretary"])
    url = reverse("insights:reports")
    community = demo_world["community"]
    events = AuditEvent.objects.count()
    for year in ("3000", "1999", "", "二〇二六"):
        answer = client.post(url, {"community": community.pk, "year": year})
        assert answer.status_code == 400, year
        assert "请选择" in answer.content.decode()
    elsewhere = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).exclude(pk=community.pk).first()
    for other in ([elsewhere.pk] if elsewhere else []) + ["x", ""]:
        assert client.post(url, {"community": other, "year": demo_world["year"]}).status_code == 404
    assert not Report.objects.exists()
    assert not Job.objects.filter(name=services.TASK).exists()
    assert AuditEvent.objects.count() == events
