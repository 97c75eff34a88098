"""The convention's pages: the resident's phone page (read, acknowledge once), commenting on an article, the
staff's lifecycle steps with errors shown in place (422, nothing written), the diff and coverage pages, the
A4 poster and booklet as PDFs with Chinese text (extracted with pypdf), and the demo convention."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from anju.audit.models import AuditEvent
from anju.consult.convention import services
from anju.consult.convention.demo import ARTICLES as DEMO_ARTICLES
from anju.consult.convention.demo import load_demo_convention
from anju.consult.models import Acknowledgement, ArticleComment, ConventionVersion, VersionStatus
from anju.testing import english_client
from anju.testing.convention import ARTICLES, ConventionWorld, draft, in_comment, in_force, make_convention_world
from anju.testing.pairing import add_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def cw() -> ConventionWorld:
    return make_convention_world()


def test_resident_reads_and_acknowledges_once_on_the_phone_page(cw: ConventionWorld) -> None:
    version = in_force(cw.community, actor=cw.worker)
    client = english_client(cw.resident)
    page = client.get(reverse("consult:convention_mine")).content.decode()
    for title, _body in ARTICLES:
        assert title in page
    assert 'id="acknowledge"' in page
    response = client.post(reverse("consult:convention_acknowledge", args=[version.pk]))
    assert response.status_code == 302
    page = client.get(reverse("consult:convention_mine")).content.decode()
    assert 'id="ack-done"' in page
    assert 'id="acknowledge"' not in page
    again = client.post(reverse("consult:convention_acknowledge", args=[version.pk]))
    assert again.status_code == 422
    assert "acknowledged this version already" in again.content.decode()
    assert Acknowledgement.objects.count() == 1


def test_resident_comments_on_an_article_and_numbers_are_masked(cw: ConventionWorld) -> None:
    version = in_comment(cw.community, actor=cw.worker)
    article = version.articles.get(number=2)
    client = english_client(cw.resident)
    assert 'id="comment-link-' in client.get(reverse("consult:convention_mine")).content.decode()
    url = reverse("consult:convention_comment", args=[version.pk])
    assert client.post(url, {"article": article.pk, "body": "有事打13912345678"}).status_code == 302
    page = client.get(reverse("consult:convention_detail", args=[version.pk])).content.decode()
    assert "13912345678" not in page
    assert "139****5678" in page
    empty = client.post(url, {"article": article.pk, "body": ""})
    assert empty.status_code == 422
    assert ArticleComment.objects.count() == 1


def test_staff_run_the_lifecycle_on_the_desktop_page_and_errors_show_in_place(cw: ConventionWorld) -> None:
    staff = english_client(cw.worker)
    created = staff.post(
        reverse("consult:convention_manage"), {"community": cw.community.pk, "title": "安居公约", "preamble": ""}
    )
    assert created.status_code == 302
    version = ConventionVersion.objects.get()
    step = reverse("consult:convention_step", args=[version.pk])
    # No article yet: opening comment is refused with the reason, nothing written.
    until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    refused = staff.post(step, {"step": "open_comment", "until": until})
    assert refused.status_code == 422
    assert "Write at least one article first." in refused.content.decode()
    article = reverse("consult:convention_article", args=[version.pk])
    assert staff.post(article, {"title": "爱护环境", "body": "不乱扔垃圾。"}).status_code == 302
    assert staff.post(step, {"step": "open_comment", "until": until}).status_code == 302
    assert staff.post(step, {"step": "close_comment"}).status_code == 302
    before = AuditEvent.objects.count()
    today = timezone.localdate().isoformat()
    no_quorum = staff.post(
        step,
        {
            "step": "adopt",
            "method": "meeting",
            "decided_on": today,
            "eligible": 30,
            "present": 10,
            "in_favour": 10,
            "against": 0,
        },
    )
    assert no_quorum.status_code == 422
    assert "No quorum: 10 of 30 took part" in no_quorum.content.decode()
    assert AuditEvent.objects.count() == before
    adopted = staff.post(
        step,
        {
            "step": "adopt",
            "method": "meeting",
            "decided_on": today,
            "eligible": 30,
            "present": 20,
            "in_favour": 15,
            "against": 2,
        },
    )
    assert adopted.status_code == 302
    assert staff.post(step, {"step": "enact", "in_force_from": ""}).status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_FORCE
    page = staff.get(reverse("consult:convention_detail", args=[version.pk])).content.decode()
    assert "20 of 30 took part, 15 in favour" in page
    revised = staff.post(reverse("consult:convention_revise", args=[version.pk]), {"change_note": "增加条款"})
    assert revised.status_code == 302
    assert ConventionVersion.objects.filter(status=VersionStatus.DRAFT).count() == 1


def test_diff_page_marks_insertions_and_removals(cw: ConventionWorld) -> None:
    v1 = in_force(cw.community, actor=cw.worker)
    v2 = services.convention_revise(actor=cw.worker, convention=v1.convention)
    first = v2.articles.get(number=1)
    services.article_save(
        actor=cw.worker, version=v2, article=first, title=first.title, body="不乱扔垃圾，每天分类投放。"
    )
    page = english_client(cw.worker).get(reverse("consult:convention_diff", args=[v2.pk])).content.decode()
    assert "1 changed" in page
    assert "2 unchanged" in page
    assert "<ins>" in page
    assert "<del>" in page


def test_coverage_page_lists_households_to_visit_and_records_a_paper_signature(cw: ConventionWorld) -> None:
    extra = add_household(cw.people.tree.building, "501")
    version = in_force(cw.community, actor=cw.worker)
    staff = english_client(cw.worker)
    url = reverse("consult:convention_coverage", args=[version.pk])
    page = staff.get(url).content.decode()
    assert 'id="coverage-percent">0%' in page
    assert str(extra.address) in page
    response = staff.post(
        reverse("consult:convention_paper", args=[version.pk]),
        {"household": extra.pk, "method": "paper_worker", "back": "coverage"},
    )
    assert response.status_code == 302
    assert Acknowledgement.objects.get().method == "paper_worker"
    assert 'id="coverage-percent">33%' in staff.get(url).content.decode()
    # A resident does not read coverage (doors of every household).
    assert english_client(cw.resident).get(url).status_code in (403, 404)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("kind", ["poster", "booklet"])
def test_poster_and_booklet_pdfs_carry_the_articles_in_chinese(cw: ConventionWorld, kind: str) -> None:
    version = in_force(cw.community, actor=cw.worker)
    services.acknowledge(actor=cw.resident, version=version)
    response = english_client(cw.resident).get(
        reverse(f"consult:convention_{kind}", args=[version.pk]), {"format": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    squeezed = "".join(text.split())
    for title, _body in ARTICLES:
        assert title in squeezed, (title, text[:400])
    assert "安居社区居民公约" in squeezed
    assert timezone.localdate().isoformat() in squeezed  # the adoption date
    assert "1of2households(50%)" in squeezed  # the coverage
    assert AuditEvent.objects.filter(action="convention.printed", data__kind=kind).count() == 1


def test_demo_convention_is_in_force_with_eighty_percent_acknowledged(cw: ConventionWorld) -> None:
    for n in range(8):
        add_household(cw.people.tree.building, f"6{n:02d}")
    signed = load_demo_convention(community=cw.community, staff=cw.worker)
    assert signed == 8  # 80 % of 10 households
    version = ConventionVersion.objects.get(community=cw.community)
    assert version.status == VersionStatus.IN_FORCE
    assert version.articles.count() == len(DEMO_ARTICLES) == 10
    assert load_demo_convention(community=cw.community, staff=cw.worker) == 0  # idempotent


def test_drafts_stay_off_the_residents_pages(cw: ConventionWorld) -> None:
    version = draft(cw.community, actor=cw.worker)
    assert english_client(cw.resident).get(reverse("consult:convention_detail", args=[version.pk])).status_code == 404
    assert english_client(cw.worker).get(reverse("consult:convention_detail", args=[version.pk])).status_code == 200


def test_coverage_and_version_pages_read_in_a_constant_number_of_queries(
    cw: ConventionWorld,
) -> None:
    version = in_force(cw.community, actor=cw.worker)
    staff = english_client(cw.worker)
    pages = [
        reverse("consult:convention_coverage", args=[version.pk]),
        reverse("consult:convention_detail", args=[version.pk]),
    ]

    def counts() -> list[int]:
        found = []
        for url in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert staff.get(url).status_code == 200
            found.append(len(ctx.captured_queries))
        return found

    counts()  # the first request of a session reads a few things once
    few = counts()
    for n in range(12):
        household = add_household(cw.people.tree.building, f"7{n:02d}")
        if n % 2:
            services.acknowledge(actor=cw.worker, version=version, household=household, method="paper_worker")
    assert counts() == few
