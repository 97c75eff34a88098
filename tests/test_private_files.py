"""Private files and exports are never cached: every URL that serves a photo, a cover, a poster, a space photo, an
export, a calendar feed or a code image answers ``Cache-Control: private, no-store``; public static assets keep
their caching. A walker proves the list below names every view that serves a file."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from anju.accounts.models import User
from anju.activities.models import Activity
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, AppealPhoto, Category, Channel, Whistle
from anju.bulletin.models import Notice, NoticePhoto
from anju.consult.honours import services as honours_services
from anju.consult.models import Survey
from anju.contributions import services as contributions
from anju.contributions.models import Project
from anju.core.security import SecurityHeadersMiddleware, no_store
from anju.insights.models import Report
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Household
from anju.site.demo import load_demo
from anju.spaces import services as space_services
from anju.spaces.models import SpacePhoto
from anju.testing.appeals import upload
from anju.testing.honours import make_campaign

pytestmark = pytest.mark.django_db


def drain(response: Any) -> None:
    """Read a file answer to its end, which closes the file (``close()`` would also end the test's database
    connection on PostgreSQL: it sends ``request_finished``)."""
    if response.streaming:
        b"".join(response.streaming_content)


# Every named URL whose view serves a file or an export (the walker below keeps this list complete).
FILE_URLS = {
    "appeals:photo",
    "appeals:whistle_code_image",
    "appeals:rates",  # ?format=xlsx
    "appeals:export",
    "activities:poster",
    "activities:attendance",  # ?format=xlsx
    "consult:survey_results_export",
    "contributions:entry_invoice",
    "contributions:evidence",
    "contributions:photo",
    "contributions:public_excel",
    "bulletin:cover",
    "bulletin:cover_thumb",
    "duty:ledger",  # ?format=xlsx
    "insights:dashboard",  # ?format=xlsx
    "insights:report_pdf",
    "mediation:stats",  # ?format=xlsx
    "pairing:coverage_export",
    "bulletin:photo",
    "bulletin:photo_thumb",
    "consult:honours_photo",
    "people:export",
    "people:import_template",
    "spaces:photo",
    "spaces:space_feed",
    "spaces:user_feed",
    "spaces:token_space_feed",
}

# What a view's source shows when it answers with a file rather than a page.
_SERVES_FILE = re.compile(r"FileResponse|image_response|_feed_response|xlsx|content_type=")


def _patterns(resolvers: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


def _file_views() -> set[str]:
    found = set()
    for name, callback in _patterns(get_resolver().url_patterns):
        view = inspect.unwrap(callback)
        if not getattr(view, "__module__", "").startswith("anju.") or view.__module__ == "anju.api":
            continue
        if _SERVES_FILE.search(inspect.getsource(view)):
            found.add(name)
    return found


def test_the_list_names_every_view_that_serves_a_file() -> None:
    assert _file_views() == FILE_URLS


def test_the_walker_notices_a_view_it_was_not_told_about() -> None:
    assert "appeals:photo" in _file_views()  # found by reading the view, not taken from the list
    assert "appeals:detail" not in _file_views()  # a page is not a file


def _private(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    cache = response.get("Cache-Control", "")
    assert "no-store" in cache, cache
    assert "private" in cache, cache
    assert "max-age" not in cache, cache
    drain(response)


def test_every_private_file_and_export_is_never_cached(media_root: None) -> None:
    load_demo(log=lambda *args: None)
    admin = User.objects.get(username="admin")
    resident = User.objects.get(username="resident")
    community = OrgUnit.objects.get(name="安居社区")
    filed = intake.appeal_file(
        actor=resident,
        community=community,
        category=Category.objects.filter(is_active=True).first(),
        description="楼道灯坏了",
        location=OrgUnit.objects.filter(kind=UnitKind.BUILDING, path__startswith=community.path).first(),
        channel=Channel.APP,
        photos=[upload()],
    )
    photo = AppealPhoto.objects.get(appeal=filed)
    whistle = Whistle.objects.select_related("appeal").first()
    assert whistle is not None
    notice_photo = NoticePhoto.objects.select_related("notice").first()
    assert notice_photo is not None
    notice = Notice.objects.exclude(cover="").first()
    assert notice is not None
    activity = Activity.objects.exclude(poster="").first()
    assert activity is not None
    space_photo = SpacePhoto.objects.select_related("space").first()
    assert space_photo is not None
    space = space_photo.space
    token = space_services.feed_token(user=admin)
    assert Appeal.objects.filter(pk=whistle.appeal_id).exists()
    survey = Survey.objects.filter(community=community).first()
    assert survey is not None
    project = Project.objects.filter(community=community).first()
    assert project is not None
    project_photo = contributions.photo_add(actor=admin, project=project, stage="before", image=upload())
    gift = contributions.contribution_record(
        actor=admin,
        project=project,
        contributor="person",
        name="王师傅",
        kind="goods",
        quantity="2",
        unit="item",
        day=timezone.localdate(),
        evidence=upload(),
    )
    paid = contributions.expenditure_record(
        actor=admin,
        project=project,
        amount="1",
        day=timezone.localdate(),
        purpose="螺丝",
        invoice=upload(),
        advanced=True,
    )
    honours = make_campaign(community, actor=admin)
    honours_services.nominations_open(actor=admin, campaign=honours)
    nominee = honours_services.nominate(
        actor=admin,
        campaign=honours,
        household=Household.objects.filter(community=community).first(),
        reason="热心",
        photo=upload(),
    )

    report = Report.objects.create(
        community=community,
        year=timezone.localdate().year,
        status=Report.Status.DONE,
        pages=1,
        requested_by=admin,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="report.pdf"),
    )

    client = Client()
    client.force_login(admin)
    gets = {
        "consult:honours_photo": reverse("consult:honours_photo", args=[nominee.pk]),
        "appeals:photo": reverse("appeals:photo", args=[filed.pk, photo.pk]),
        "appeals:whistle_code_image": reverse(
            "appeals:whistle_code_image", args=[whistle.appeal_id, whistle.pk, "png"]
        ),
        "appeals:rates": reverse("appeals:rates") + "?format=xlsx",
        "appeals:export": reverse("appeals:export") + "?view=all",
        "activities:poster": reverse("activities:poster", args=[activity.pk]),
        "activities:attendance": reverse("activities:attendance", args=[activity.pk]) + "?format=xlsx",
        "consult:survey_results_export": reverse("consult:survey_results_export", args=[survey.pk]),
        "contributions:entry_invoice": reverse("contributions:entry_invoice", args=[paid.pk]),
        "contributions:evidence": reverse("contributions:evidence", args=[gift.pk]),
        "contributions:photo": reverse("contributions:photo", args=[project.pk, project_photo.pk]),
        "contributions:public_excel": reverse("contributions:public_excel", args=[project.pk]),
        "bulletin:cover": reverse("bulletin:cover", args=[notice.pk]),
        "bulletin:cover_thumb": reverse("bulletin:cover_thumb", args=[notice.pk]),
        "bulletin:photo": reverse("bulletin:photo", args=[notice_photo.notice_id, notice_photo.pk]),
        "bulletin:photo_thumb": reverse("bulletin:photo_thumb", args=[notice_photo.notice_id, notice_photo.pk]),
        "duty:ledger": reverse("duty:ledger") + "?format=xlsx",
        "insights:dashboard": reverse("insights:dashboard") + "?format=xlsx",
        "insights:report_pdf": reverse("insights:report_pdf", args=[report.pk]),
        "mediation:stats": reverse("mediation:stats") + "?format=xlsx",
        "pairing:coverage_export": reverse("pairing:coverage_export"),
        "people:export": reverse("people:export"),
        "people:import_template": reverse("people:import_template"),
        "spaces:photo": reverse("spaces:photo", args=[space.pk, space_photo.pk]),
        "spaces:space_feed": reverse("spaces:space_feed", args=[space.pk]),
        "spaces:user_feed": reverse("spaces:user_feed", args=[token]),
        "spaces:token_space_feed": reverse("spaces:token_space_feed", args=[token, space.pk]),
    }
    assert set(gets) == FILE_URLS
    for name, url in gets.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        _private(response)
    # The unmasked resident export (revealed numbers, with a reason) too.
    unmasked = client.post(
        reverse("people:export"), {"unmasked": "1", "purpose": "home_visit", "reason": "核对低保名单"}
    )
    assert unmasked["Content-Disposition"].startswith("attachment")
    _private(unmasked)
    # An API client fetching a photo with its token gets the same answer.
    from anju.accounts import services as account_services

    api_token = account_services.token_create(actor=None, user=admin, name="t", days=1)[1]
    _private(Client(HTTP_AUTHORIZATION=f"Bearer {api_token}").get(gets["bulletin:cover"]))


def test_public_static_assets_keep_their_caching() -> None:
    response = Client().get("/static/anju/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    drain(response)


def test_the_middleware_is_the_safety_net_for_a_forgotten_header(rf: Any) -> None:
    """A view that forgets ``no_store`` still answers uncached: any attachment, file or non-page body is."""
    from django.http import HttpResponse

    def forgetful(request: Any) -> HttpResponse:
        response = HttpResponse(b"PK...", content_type="application/vnd.ms-excel")
        response["Cache-Control"] = "public, max-age=86400"
        return response

    answer = SecurityHeadersMiddleware(forgetful)(rf.get("/people/export/"))
    assert answer["Cache-Control"] == "private, no-store"
    page = SecurityHeadersMiddleware(lambda request: HttpResponse("<p>hi</p>"))(rf.get("/"))
    assert "Cache-Control" not in page  # pages keep what their views chose
    assert no_store(HttpResponse())["Cache-Control"] == "private, no-store"
