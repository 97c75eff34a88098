"""The appeals card on each role's home page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import selectors
from anju.appeals.models import OPEN_STATUSES
from anju.appeals.rates import ranking
from anju.appeals.rates.selectors import rates_report
from anju.core import replica


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


RANKING_ON_HOME = 5


@replica.reads
def rates_card(user: Any, kind: str) -> dict[str, Any] | None:
    """The three rates, the overdue counts and the department ranking on a branch secretary's or a
    supervisor's home (and an administrator's), read from the daily roll-up as the rates page reads it."""
    if not (policy.can(user, "appeal.rates") and policy.can(user, "home.rates")):
        return None
    report = rates_report(user, group="department")
    ranked = [r for r in report.rows if r.rank is not None]
    overdue = selectors.overdue_counts(user)
    for row in report.rows:
        row.overdue = overdue.by_department.get(row.key, 0)
    return {
        "total": report.total,
        "ranked": ranked[:RANKING_ON_HOME],
        "ranked_count": len(ranked),
        "unranked": [r for r in report.rows if r.rank is None],
        "min_sample": ranking.MIN_SAMPLE,
        "overdue": overdue,
        "url": reverse("appeals:rates"),
        "list_url": reverse("appeals:list"),
    }


def public_links(request: Any) -> list[dict[str, Any]]:
    """What someone without an account can do here, offered under the sign-in form: report a problem, and
    check a report's progress (the shell's ``public_links``)."""
    user = getattr(request, "user", None)  # absent on an error page answered before authentication
    if user is None or user.is_authenticated:
        return []
    return [
        {"label": _("Report a problem without an account"), "url": reverse("appeals:report"), "primary": True},
        {"label": _("Check the progress of a report"), "url": reverse("appeals:progress"), "primary": False},
    ]
