"""Every reveal asks for a purpose and a reason a reviewer can read (audit.reasons), stores both in the
access log, and shows them there — the registry's page and API, the unmasked export, and the appeals'
requester number alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from anju.audit.models import PiiAccess
from anju.audit.reasons import Purpose, RevealReasonForm, clean_reveal_reason
from anju.testing import english_client
from anju.testing.people import PeopleWorld

pytestmark = pytest.mark.usefixtures("english")

JUNK = [
    "",
    "ab",
    "aaaa",
    "1234",
    "1234567890",
    "aaaaaaaaaaaa",
    "abcdefghijkl",
    "asdfasdfasdf",
    "回访",
    "回访核实",
    "好好好好好好",
    "!!!!????....",
    "看看看看看看看",
]
GOOD = [
    "核实独居老人联系方式",
    "电话回访诉求人",
    "call back about the leak",
    "民政部门高龄补贴核对",
    "上门送药，确认门牌号",
]


@pytest.mark.parametrize("text", JUNK)
def test_junk_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_reveal_reason("callback", text)
    assert list(caught.value.message_dict) == ["reason"]


@pytest.mark.parametrize("text", GOOD)
def test_readable_reasons_pass_with_a_purpose(text: str) -> None:
    why = clean_reveal_reason(Purpose.HOME_VISIT, f"  {text}  ")
    assert (why.purpose, why.text) == ("home_visit", text)
    with pytest.raises(ValidationError) as caught:
        clean_reveal_reason("", text)
    assert list(caught.value.message_dict) == ["purpose"]
    with pytest.raises(ValidationError):
        clean_reveal_reason("curiosity", text)


def test_the_form_says_what_is_wrong_per_field() -> None:
    form = RevealReasonForm({"purpose": "", "reason": "ab"})
    assert not form.is_valid()
    assert set(form.errors) == {"purpose", "reason"}
    form = RevealReasonForm({"purpose": "emergency", "reason": "老人摔倒，联系家属"})
    assert form.is_valid()
    assert form.reveal_reason.purpose_label == "Emergency"


def test_every_reveal_surface_refuses_junk_and_logs_the_purpose(people_world: PeopleWorld, client_for: Any) -> None:
    client = client_for(people_world.users["community_worker"])
    target = people_world.residents[0]
    page_url = reverse("people:resident_reveal", args=[target.pk])
    api_url = f"/api/v1/people/residents/{target.pk}/reveal"

    # Two characters, no purpose, junk: nothing revealed, nothing logged — on the page, the API and the export.
    refused = client.post(page_url, {"field": "mobile", "purpose": "callback", "reason": "ab"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert target.mobile not in refused.content.decode()
    no_purpose = client.post(page_url, {"field": "mobile", "reason": "核实独居老人联系方式"}, HTTP_HX_REQUEST="true")
    assert no_purpose.status_code == 422
    api_junk = client.post(
        api_url,
        json.dumps({"field": "mobile", "purpose": "callback", "reason": "aaaa"}),
        content_type="application/json",
    )
    assert api_junk.status_code == 422
    api_bad_purpose = client.post(
        api_url,
        json.dumps({"field": "mobile", "purpose": "fun", "reason": "核实独居老人联系方式"}),
        content_type="application/json",
    )
    assert api_bad_purpose.status_code == 422
    export_junk = client.post(reverse("people:export"), {"unmasked": "1", "purpose": "other", "reason": "1234"})
    assert export_junk.status_code == 302
    assert PiiAccess.objects.count() == 0

    # A readable reason: revealed, and the log keeps the purpose and the text.
    ok = client.post(
        page_url, {"field": "mobile", "purpose": "home_visit", "reason": "上门送药前电话确认"}, HTTP_HX_REQUEST="true"
    )
    assert ok.status_code == 200
    assert target.mobile in ok.content.decode()
    api_ok = client.post(
        api_url,
        json.dumps({"field": "id_number", "purpose": "verify_identity", "reason": "办理高龄补贴核对身份"}),
        content_type="application/json",
    )
    assert api_ok.status_code == 200
    logged = list(PiiAccess.objects.order_by("pk").values_list("purpose", "reason"))
    assert logged == [("home_visit", "上门送药前电话确认"), ("verify_identity", "办理高龄补贴核对身份")]
    log_page = english_client(people_world.users["supervisor"]).get(reverse("audit:pii")).content.decode()
    assert "Home visit or service" in log_page
    assert "Verify identity" in log_page
    assert "上门送药前电话确认" in log_page

    # The pages offer the purposes.
    detail = client.get(reverse("people:resident", args=[target.pk])).content.decode()
    assert 'name="purpose"' in detail
    assert 'value="emergency"' in detail
    listing = client.get(reverse("people:residents")).content.decode()
    assert 'id="export-purpose"' in listing
