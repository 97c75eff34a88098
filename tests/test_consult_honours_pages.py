"""Honours (评比) pages and API: a resident scores on the phone page; bad input (a second score sheet or vote,
scoring one's own household, voting after the period, an objection after the notice) answers a clear 422 in
the user's language with nothing written, never a 500; objects of another community answer 404; the award
certificate as a PDF with Chinese text (extracted with pypdf); the demo's two campaigns."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from anju.audit.models import AuditEvent
from anju.consult.honours import selectors
from anju.consult.honours.demo import load_demo_honours
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, CampaignStatus, Nomination, NominationStatus, Objection, ScoreSheet, Vote
from anju.testing import api_client
from anju.testing.honours import (
    HonoursWorld,
    full_marks,
    in_scoring,
    make_honours_world,
    notice_over,
    on_notice,
    vote_over,
)
from anju.testing.pairing import add_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def hw() -> HonoursWorld:
    return make_honours_world()


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["anju_language"] = "en"
    return client


def test_resident_scores_a_nominee_on_the_phone_page_once(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = in_scoring(hw)
    client = _client(hw.resident)
    page = client.get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert f'id="score-open-{wang.pk}"' in page
    form = {f"c{pk}": str(v) for pk, v in full_marks(campaign, 4).items()}
    response = client.post(reverse("consult:honours_score", args=[wang.pk]), form)
    assert response.status_code == 302
    page = client.get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert f'id="scored-{wang.pk}"' in page
    again = client.post(reverse("consult:honours_score", args=[wang.pk]), form)
    assert again.status_code == 422
    assert "one score sheet per household" in again.content.decode()
    assert ScoreSheet.objects.count() == 1
    # 王小明's household scoring itself: refused in place.
    own = _client(hw.neighbour).post(reverse("consult:honours_score", args=[wang.pk]), form)
    assert own.status_code == 422
    assert "does not score itself" in own.content.decode()
    assert ScoreSheet.objects.count() == 1


def test_bad_input_through_the_api_is_a_clear_422_and_writes_nothing(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw, vote_round=True)
    marks = {str(k): v for k, v in full_marks(campaign).items()}
    resident, neighbour = api_client(hw.resident), api_client(hw.neighbour)
    url = f"/api/v1/consult/honours/nominations/{wang.pk}/scores"
    assert resident.post(url, {"scores": marks}, content_type="application/json").status_code == 201
    second = resident.post(url, {"scores": marks}, content_type="application/json")
    assert second.status_code == 422
    assert "one score sheet per household" in second.content.decode()
    own = neighbour.post(url, {"scores": marks}, content_type="application/json")
    assert own.status_code == 422
    assert "does not score itself" in own.content.decode()
    bad = resident.post(
        f"/api/v1/consult/honours/nominations/{sun.pk}/scores", {"scores": {"x": "y"}}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert ScoreSheet.objects.count() == 1
    evaluation.sheet_submit(actor=hw.neighbour, nomination=sun, scores=full_marks(campaign))
    publicity.notice_publish(actor=hw.worker, campaign=campaign)
    campaign = notice_over(Campaign.objects.get(pk=campaign.pk))
    late = resident.post(
        f"/api/v1/consult/honours/{campaign.pk}/objections", {"body": "太晚了"}, content_type="application/json"
    )
    assert late.status_code == 422
    assert "notice period is over" in late.content.decode()
    assert not Objection.objects.exists()
    evaluation.vote_open(actor=hw.secretary, campaign=campaign)
    vote_url = f"/api/v1/consult/honours/nominations/{sun.pk}/votes"
    assert resident.post(vote_url).status_code == 201
    twice = resident.post(vote_url)
    assert twice.status_code == 422
    assert "one vote per household" in twice.content.decode()
    vote_over(campaign)
    after = neighbour.post(f"/api/v1/consult/honours/nominations/{wang.pk}/votes")
    assert after.status_code == 422
    assert Vote.objects.count() == 1
    # In the user's language: the same refusal in Chinese.
    chinese = api_client(hw.resident)
    chinese.cookies["anju_language"] = "zh-hans"
    refused = chinese.post(vote_url)
    assert refused.status_code == 422
    assert "每户只能投一票" in str(refused.json()), refused.json()


def test_objects_of_another_community_answer_404(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = on_notice(hw)
    objection = publicity.objection_raise(actor=hw.resident, campaign=campaign, body="有异议")
    other = api_client(hw.other_worker)
    assert other.get(f"/api/v1/consult/honours/{campaign.pk}").status_code == 404
    assert other.get(f"/api/v1/consult/honours/{campaign.pk}/objections").status_code == 404
    answer = other.post(
        f"/api/v1/consult/honours/objections/{objection.pk}/answer",
        {"upheld": True, "answer": "越权"},
        content_type="application/json",
    )
    assert answer.status_code == 404
    outsider = api_client(hw.other_resident)
    assert outsider.post(f"/api/v1/consult/honours/nominations/{wang.pk}/votes").status_code == 404
    page = _client(hw.other_worker).get(reverse("consult:honours_detail", args=[campaign.pk]))
    assert page.status_code == 404
    assert Objection.objects.get().status == "pending"
    # Residents read the answers, never who objected.
    listed = api_client(hw.neighbour).get(f"/api/v1/consult/honours/{campaign.pk}/objections").json()
    assert listed == [{"id": objection.pk, "nominee": "", "body": "有异议", "status": "pending", "answer": ""}]


def _pdf_text(content: bytes) -> str:
    return "".join("".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages)


def test_the_certificate_pdf_carries_the_name_in_chinese(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = on_notice(hw)
    publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))
    wang.refresh_from_db()
    assert wang.status == NominationStatus.HONOURED
    # the office's part of a final campaign says so and offers no step
    office = _client(hw.secretary).get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert 'id="final-note"' in office
    assert 'name="step"' not in office
    client = _client(hw.neighbour)
    response = client.get(reverse("consult:honours_certificate", args=[wang.pk]), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert wang.name.replace(" ", "") in text, text[:300]
    assert "最美好邻居" in text
    assert "安居社区" in text
    assert AuditEvent.objects.filter(action="honours.certificate_printed").count() == 1
    # Only an honoured nominee has a certificate.
    sun = Nomination.objects.exclude(pk=wang.pk).get(campaign=campaign)
    assert client.get(reverse("consult:honours_certificate", args=[sun.pk])).status_code == 404


def test_demo_has_a_finished_lane_campaign_and_a_neighbour_campaign_on_notice(hw: HonoursWorld) -> None:
    for n in range(12):
        add_household(hw.people.tree.building if n % 2 else hw.people.building2, f"7{n:02d}")
    assert load_demo_honours(community=hw.community, staff=hw.worker) == 2
    lanes = Campaign.objects.get(community=hw.community, title="文明巷")
    assert lanes.status == CampaignStatus.FINAL
    assert lanes.nominations.filter(status=NominationStatus.HONOURED).count() == 1
    # the list reads the honoured first (rank 1), then the rest by score, on either database (NULL ranks last)
    listed = selectors.nominations_of(lanes)
    assert listed[0].status == NominationStatus.HONOURED
    assert listed[0].rank == 1
    rest = [n.score for n in listed[1:]]
    assert rest == sorted(rest, key=lambda s: -(s or 0))
    neighbours = Campaign.objects.get(community=hw.community, title="最美好邻居")
    assert neighbours.status == CampaignStatus.NOTICE
    assert publicity.notice_open(neighbours)
    assert neighbours.objections.get().status == "rejected"
    assert load_demo_honours(community=hw.community, staff=hw.worker) == 0  # idempotent
