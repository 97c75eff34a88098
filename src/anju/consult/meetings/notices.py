"""The messages consult's meetings send through the shared inbox."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from anju.inbox.kinds import register

INVITATION = "consult.invitation"
DECISION_ASSIGNED = "consult.decision_assigned"
DECISION_DUE = "consult.decision_due"

KINDS = {
    INVITATION: _("You are invited: {meeting} on {date} at {place}"),
    DECISION_ASSIGNED: _("A decision of {meeting} is yours to carry out by {due}: {decision}"),
    DECISION_DUE: _("Due {due}: {decision}"),
}


def register_kinds() -> None:
    for kind, title in KINDS.items():
        register(kind, title)
