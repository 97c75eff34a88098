"""What mediation shows on other modules' pages through their hooks: on an appeal referred to mediation, the
case number and status (never the case's content), and the step "refer to mediation" for the appeal's staff."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals.models import Appeal
from anju.appeals.referrals import Offer, Referral
from anju.mediation.models import Case


def appeal_referrals(appeal: Appeal, user: Any) -> list[Referral]:
    out = []
    for case in Case.objects.filter(appeal=appeal).select_related("community").order_by("id"):
        url = (
            reverse("mediation:case", kwargs={"case_id": case.pk}) if policy.can(user, "mediation.status", case) else ""
        )
        out.append(Referral(label=_("mediation"), number=case.number, status=str(case.get_status_display()), url=url))
    return out


def appeal_offer(appeal: Appeal, user: Any) -> Offer | None:
    if not appeal.is_open or not policy.can(user, "mediation.open", appeal.community):
        return None
    if Case.objects.filter(appeal=appeal).exclude(status="referred").exists():
        return None
    return Offer(label=_("Refer to mediation"), url=reverse("mediation:new") + f"?appeal={appeal.pk}")
