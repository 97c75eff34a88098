"""The appeals card on each role's home page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import selectors
from anju.appeals.models import OPEN_STATUSES


def appeal_card(user: Any, kind: str) -> dict[str, Any] | None:
    if not policy.can(user, "appeal.view"):
        return None
    url = reverse("appeals:list")
    if kind in ("worker", "admin"):
        title, qs, view = _("Appeals due first"), selectors.worker_queue(user), "worker"
    elif kind == "department":
        title, qs, view = _("My department's appeals"), selectors.department_queue(user), "department"
    elif kind in ("resident", "volunteer"):
        title, qs, view = _("My open appeals"), selectors.my_appeals(user).filter(status__in=OPEN_STATUSES), "mine"
    else:
        return None
    now = timezone.now()
    counts = []
    if view != "mine":  # a worker's and a department's queue: overdue and due soon, never mixed
        for state, label in ((selectors.OVERDUE, _("Overdue")), (selectors.DUE_SOON_STATE, _("Due soon"))):
            counts.append(
                {
                    "state": state,
                    "label": label,
                    "n": qs.filter(selectors.deadline_q(state, now)).count(),
                    "url": f"{url}?view={view}&deadline={state}",
                }
            )
    return {
        "title": title,
        "items": list(qs[:8]),
        "counts": counts,
        "url": f"{url}?view={view}",
        "now": now,
        "may_file": policy.can(user, "appeal.file"),
    }
