"""Intake of a mediation case from a pairing visit: the visit's page links to the intake, which names the visit,
fills in the visited household's head as the applicant and the finding as the account; one submit opens the
case (source "visit", the visit's number kept); a second case from the same visit, a visit of another community
or one out of reach is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from anju.mediation.models import Case, Source
from anju.pairing import services as pairing
from anju.pairing.models import Visit
from anju.people.models import Resident
from anju.testing.mediation import MediationWorld, make_mediation_world, open_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def mw() -> MediationWorld:
    return make_mediation_world()


def _visit(mw: MediationWorld, household: Any = None, actor: Any = None) -> Visit:
    household = household or mw.people.households[1]
    return pairing.visit_record(
        actor=actor or mw.users["community_worker"],
        household=household,
        visited_on=timezone.localdate(),
        method=Visit.Method.DOOR,
        condition=Visit.Condition.ATTENTION,
        client_key=f"k-{household.pk}-{Visit.objects.count()}",
        needs=[Visit.Need.NEIGHBOURS],
        note="与楼上邻居因漏水争吵多次",
        follow_up=Visit.FollowUp.WORKER,
    )


def test_a_dispute_found_on_a_visit_becomes_a_case_in_one_step(mw: MediationWorld, client_for: Any) -> None:
    visit = _visit(mw)
    worker = client_for(mw.users["community_worker"])
    page = worker.get(reverse("pairing:visit", args=[visit.pk])).content.decode()
    intake_url = reverse("mediation:new") + f"?visit={visit.pk}"
    assert intake_url in page
    head = Resident.objects.filter(household=visit.household).order_by("id").first()
    assert head is not None
    form = worker.get(intake_url).content.decode()
    assert 'id="from-visit"' in form
    assert "与楼上邻居因漏水争吵多次" in form
    assert head.name in form
    r = worker.post(
        reverse("mediation:new"),
        {
            "visit": visit.pk,
            "community": visit.community_id,
            "kind": "neighbours",
            "urgency": "normal",
            "account": "与楼上邻居因漏水争吵多次",
            "party_name_0": head.name,
            "party_role_0": "applicant",
            "party_resident_0": head.pk,
            "party_name_1": "楼上住户",
            "party_role_1": "respondent",
            "lead": mw.users["mediator"].pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert (case.source, case.visit_ref, case.community_id) == (Source.VISIT, visit.pk, visit.community_id)
    assert case.parties.filter(resident=head).exists()
    # the same visit again: refused in the user's language, nothing written
    again = worker.post(
        reverse("mediation:new"),
        {
            "visit": visit.pk,
            "community": visit.community_id,
            "kind": "neighbours",
            "urgency": "normal",
            "account": "再次",
            "party_name_0": "甲",
            "party_role_0": "applicant",
            "party_name_1": "乙",
            "party_role_1": "respondent",
            "lead": mw.users["mediator"].pk,
        },
    )
    assert again.status_code == 422
    # the worker's page speaks zh-Hans: the refusal comes from the catalogue, not the English source
    with translation.override("zh-hans"):
        refusal = translation.gettext("A mediation case has been opened from this visit already.")
    assert refusal != "A mediation case has been opened from this visit already."
    assert refusal in again.content.decode()
    assert Case.objects.count() == 1


def test_a_visit_outside_reach_or_of_another_community_is_refused(mw: MediationWorld, client_for: Any) -> None:
    from anju.testing.pairing import add_household

    other_home = add_household(mw.people.other_building, "909")
    other_visit = _visit(mw, other_home, actor=mw.users["other_worker"])
    # another community's visit: the intake answers 404 to this community's worker
    worker = client_for(mw.users["community_worker"])
    assert worker.get(reverse("mediation:new") + f"?visit={other_visit.pk}").status_code == 404
    # the service refuses a visit number of another community
    # (the page request above left its own language active; read the message in English)
    with translation.override("en"), pytest.raises(ValidationError, match="visit to a household of this community"):
        open_case(mw, visit_ref=other_visit.pk)
    assert not Case.objects.exists()
    # a resident reads no link to mediation on a visit page (they cannot open the page at all)
    visit = _visit(mw)
    assert client_for(mw.users["resident"]).get(reverse("mediation:new") + f"?visit={visit.pk}").status_code in (
        403,
        404,
    )
