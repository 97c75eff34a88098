"""Pages and API of contributions: a worker records and a second approves, the public 公示 page (without
signing in only when the community publishes it), its Excel, the receipt PDF (its Chinese text extracted),
the thank-you notice; anonymity on every public surface (page, Excel, notice, API); 404 across communities;
bad input answered in the user's language with nothing written and no 500; the yearly totals."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from anju.bulletin.models import Notice
from anju.contributions import services
from anju.contributions.models import Contribution, Kind, MoneyEntry, Unit
from anju.testing import api_client, english_client
from anju.testing.contributions import ContributionsWorld, donate, make_contributions_world

SECRET = "匿名捐赠人秦守仁"


@pytest.fixture
def cw(db: None) -> ContributionsWorld:
    return make_contributions_world()


def _secret_gift(cw: ContributionsWorld) -> Contribution:
    c = donate(cw, "2000", name=SECRET, anonymous=True)
    donate(cw, "1000", name="城东超市")
    return c


def _json(response: object) -> str:
    """The JSON body with its text as written (the API escapes non-ASCII characters)."""
    return json.dumps(response.json(), ensure_ascii=False)  # type: ignore[attr-defined]


def _public(cw: ContributionsWorld) -> None:
    services.setting_set(actor=cw.worker, community=cw.tree.community, public=True, threshold="5000")


def test_a_worker_records_300000_a_second_approves_and_the_public_page_shows_it(cw: ContributionsWorld) -> None:
    worker, second = english_client(cw.worker), english_client(cw.second)
    url = reverse("contributions:contribute", args=[cw.project.pk])
    data = {
        "contributor": "organisation",
        "name": "乡贤理事会",
        "kind": "money",
        "quantity": "300000",
        "unit": "yuan",
        "day": "2026-03-01",
    }
    page = worker.post(url, data, follow=True)
    assert "counts once a second person approves it" in page.content.decode()
    entry = MoneyEntry.objects.get()
    assert (
        worker.post(
            reverse("contributions:entry_decide", args=[entry.pk]), {"decision": "approve"}, follow=True
        ).status_code
        == 200
    )
    cw.project.refresh_from_db()
    assert cw.project.balance_fen == 0  # the recorder cannot approve
    second.post(reverse("contributions:entry_decide", args=[entry.pk]), {"decision": "approve"})
    cw.project.refresh_from_db()
    assert cw.project.balance_fen == 30_000_000
    html = english_client(cw.resident).get(reverse("contributions:public", args=[cw.project.pk])).content.decode()
    assert "乡贤理事会" in html
    assert "300,000.00" in html


def test_the_public_page_without_signing_in_only_when_the_community_chooses(cw: ContributionsWorld) -> None:
    url = reverse("contributions:public", args=[cw.project.pk])
    assert Client().get(url).status_code == 404
    assert Client().get(f"/api/v1/contributions/projects/{cw.project.pk}/public").status_code == 404
    _public(cw)
    assert Client().get(url).status_code == 200
    assert Client().get(reverse("contributions:public_excel", args=[cw.project.pk])).status_code == 200
    assert Client().get(f"/api/v1/contributions/projects/{cw.project.pk}/public").status_code == 200
    assert Client().get(reverse("contributions:public", args=[cw.other_project.pk])).status_code == 404


def test_an_anonymous_contributor_is_never_named_on_a_public_surface(cw: ContributionsWorld) -> None:
    c = _secret_gift(cw)
    _public(cw)
    services.thanks_post(actor=cw.worker, contribution=c)
    anon = Client()
    surfaces = {
        "page": anon.get(reverse("contributions:public", args=[cw.project.pk])).content.decode(),
        "api": _json(anon.get(f"/api/v1/contributions/projects/{cw.project.pk}/public")),
        "api (resident)": _json(api_client(cw.resident).get(f"/api/v1/contributions/projects/{cw.project.pk}")),
        "resident page": english_client(cw.resident)
        .get(reverse("contributions:project", args=[cw.project.pk]))
        .content.decode(),
    }
    book = load_workbook(io.BytesIO(anon.get(reverse("contributions:public_excel", args=[cw.project.pk])).content))
    surfaces["excel"] = json.dumps(
        [[str(v) for v in row] for ws in book.worksheets for row in ws.iter_rows(values_only=True)], ensure_ascii=False
    )
    notice = Notice.objects.get()
    surfaces["notice"] = notice.title + notice.body
    for where, text in surfaces.items():
        assert SECRET not in text, where
    assert "城东超市" in surfaces["page"]
    assert "城东超市" in surfaces["excel"]
    assert "不愿具名" in surfaces["notice"]
    # Staff still know who it was.
    staff = english_client(cw.worker).get(reverse("contributions:project", args=[cw.project.pk])).content.decode()
    assert SECRET in staff
    staff_api = api_client(cw.worker).get(f"/api/v1/contributions/projects/{cw.project.pk}/contributions")
    assert SECRET in _json(staff_api)


def test_asking_for_names_in_a_public_export_is_refused(cw: ContributionsWorld) -> None:
    _secret_gift(cw)
    _public(cw)
    client = Client()
    client.cookies["anju_language"] = "zh-hans"
    response = client.get(reverse("contributions:public_excel", args=[cw.project.pk]), {"names": "real"})
    assert response.status_code == 400
    assert SECRET not in response.content.decode()
    en = english_client().get(reverse("contributions:public_excel", args=[cw.project.pk]), {"names": "real"})
    assert "never names anonymous contributors" in en.content.decode()


def test_the_public_excel_has_totals_ledger_and_running_balance(cw: ContributionsWorld) -> None:
    _public(cw)
    donate(cw, "1000")
    services.expenditure_record(
        actor=cw.worker, project=cw.project, amount="250.5", day=date(2026, 3, 3), purpose="水泥"
    )
    book = load_workbook(io.BytesIO(Client().get(reverse("contributions:public_excel", args=[cw.project.pk])).content))
    money = list(book.worksheets[1].iter_rows(values_only=True))
    assert money[-1][-1] == pytest.approx(749.5)
    assert money[-1][4] == pytest.approx(250.5)


def test_the_receipt_pdf_carries_chinese_text(cw: ContributionsWorld) -> None:
    c = services.contribution_record(
        actor=cw.worker,
        project=cw.project,
        contributor="person",
        name="何建国",
        kind=Kind.LAND,
        tenure="given",
        quantity="80",
        unit=Unit.SQM,
        day=date(2026, 3, 1),
    )
    client = Client()
    client.force_login(cw.worker)
    client.cookies["anju_language"] = "zh-hans"
    response = client.get(reverse("contributions:receipt", args=[c.pk]), {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "何建国" in text
    assert c.receipt_no in text
    assert "安居驿站建设" in text


def test_scoping_404_across_communities(cw: ContributionsWorld) -> None:
    other = cw.other_project
    c = donate(cw, "10", project=other)
    client = english_client(cw.worker)
    for url in (
        reverse("contributions:project", args=[other.pk]),
        reverse("contributions:receipt", args=[c.pk]),
    ):
        assert client.get(url).status_code == 404
    for url, data in (
        (reverse("contributions:contribute", args=[other.pk]), {"kind": "money"}),
        (reverse("contributions:spend", args=[other.pk]), {"amount": "1"}),
        (reverse("contributions:entry_reverse", args=[c.money_entry_id]), {"reason": "x"}),
        (reverse("contributions:thanks", args=[c.pk]), {}),
    ):
        assert client.post(url, data).status_code == 404
    api = api_client(cw.worker)
    assert api.get(f"/api/v1/contributions/projects/{other.pk}").status_code == 404
    assert (
        api.post(
            f"/api/v1/contributions/entries/{c.money_entry_id}/reverse",
            {"reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert MoneyEntry.objects.filter(type="reversal").count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "9999999"}, "amount"),  # beyond the balance
    ],
)
def test_bad_expenditures_through_the_api_answer_422_in_chinese(
    cw: ContributionsWorld, payload: dict[str, str], field: str
) -> None:
    api = api_client(cw.worker)
    api.cookies["anju_language"] = "zh-hans"
    body = {"day": "2026-03-02", "purpose": "水泥", **payload}
    response = api.post(
        f"/api/v1/contributions/projects/{cw.project.pk}/expenditures", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not MoneyEntry.objects.exists()


def test_the_api_records_approves_and_reverses(cw: ContributionsWorld) -> None:
    api, second = api_client(cw.worker), api_client(cw.second)
    base = f"/api/v1/contributions/projects/{cw.project.pk}"
    made = api.post(
        f"{base}/contributions",
        {
            "contributor": "organisation",
            "name": "乡贤理事会",
            "kind": "money",
            "quantity": "300000",
            "unit": "yuan",
            "day": "2026-03-01",
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    entry_id = made.json()["money_entry_id"]
    own = api.post(
        f"/api/v1/contributions/entries/{entry_id}/decision", {"approve": True}, content_type="application/json"
    )
    assert own.status_code == 422
    assert "second person" in own.content.decode()
    ok = second.post(
        f"/api/v1/contributions/entries/{entry_id}/decision", {"approve": True}, content_type="application/json"
    )
    assert ok.status_code == 201
    assert ok.json()["counts"] is True
    m2 = api.post(
        f"{base}/contributions",
        {
            "contributor": "person",
            "name": "张三",
            "kind": "money",
            "quantity": "80",
            "unit": "sqm",
            "day": "2026-03-01",
        },
        content_type="application/json",
    )
    assert m2.status_code == 422
    labour = api.post(
        f"{base}/labour",
        {"name": "志愿者", "people": 35, "days": "10", "day": "2026-03-05"},
        content_type="application/json",
    )
    assert labour.json()["quantity"] == "350.00"
    spent = api.post(
        f"{base}/expenditures",
        {"amount": "1000", "day": "2026-03-06", "purpose": "水泥"},
        content_type="application/json",
    )
    assert spent.status_code == 201
    rev = api.post(
        f"/api/v1/contributions/entries/{spent.json()['id']}/reverse",
        {"reason": "开错"},
        content_type="application/json",
    )
    assert rev.status_code == 201
    again = api.post(
        f"/api/v1/contributions/entries/{spent.json()['id']}/reverse",
        {"reason": "开错"},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert api.get(f"{base}").json()["money"]["balance_fen"] == 30_000_000


def test_bad_input_on_the_page_is_a_message_not_a_500(cw: ContributionsWorld) -> None:
    client = Client()
    client.force_login(cw.worker)
    client.cookies["anju_language"] = "zh-hans"
    page = client.post(
        reverse("contributions:contribute", args=[cw.project.pk]),
        {
            "contributor": "person",
            "name": "张三",
            "kind": "money",
            "quantity": "0.001",
            "unit": "yuan",
            "day": "2026-03-01",
        },
        follow=True,
    )
    assert page.status_code == 200
    assert "金额不能小于一分" in page.content.decode()
    assert not Contribution.objects.exists()


def test_yearly_totals_for_the_supervisor(cw: ContributionsWorld) -> None:
    donate(cw, "1000")
    donate(cw, "500", project=cw.other_project)
    services.labour_record(
        actor=cw.worker, project=cw.project, name="志愿者", people=35, days="10", day=date(2026, 3, 2)
    )
    data = api_client(cw.supervisor).get("/api/v1/contributions/yearly?year=2026").json()
    assert data["received_fen"] == 150000
    assert {r["community"]: r["received_fen"] for r in data["communities"]} == {"安居社区": 100000, "宝塔社区": 50000}
    page = english_client(cw.supervisor).get(reverse("contributions:report"), {"year": "2026"}).content.decode()
    assert "350 person-days" in page
    assert api_client(cw.supervisor).get("/api/v1/contributions/yearly?year=99999").status_code == 422
