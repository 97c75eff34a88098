"""Message kinds of appeals in the shared inbox (:mod:`anju.inbox`), imported from ``AppConfig.ready()``.

Titles are rendered in the reader's language when shown; :func:`anju.appeals.notify.notify` writes the
parameters (``number``, ``category``, ``department``, ``minutes``, ``due``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from anju.inbox.kinds import register

register("appeal.filed", _("New appeal {number}: {category}"))
register("appeal.dispatched", _("Appeal {number} dispatched to {department}"))
register("appeal.reminded", _("Reminder from the community (催办): appeal {number}"))
register("appeal.handled", _("Appeal {number} handled; please verify"))
register("appeal.callback", _("Appeal {number} was handled: was it resolved?"))
register("appeal.reopened", _("Appeal {number} reopened: the requester is not satisfied"))
register("appeal.follower_unsatisfied", _("Appeal {number}: a follower says it is not solved or is not satisfied"))
register("appeal.whistle", _("Whistle: report on site for appeal {number} within {minutes} minutes"))
register("escalation.1", _("Reminder before the deadline: appeal {number}, due {due}"))
register("escalation.2", _("Reminder notice (催办): appeal {number}, due {due}"))
register("escalation.3", _("Notice to the supervising level (通报): appeal {number}, due {due}"))
register("escalation.4", _("Escalated up the org tree: appeal {number}, due {due}"))
register(
    "appeal.arrival.2", _("Reminder notice (催办): {department} did not report on site by {time}, appeal {number}")
)
register(
    "appeal.arrival.3",
    _("Notice to the supervising level (通报): {department} did not report on site by {time}, appeal {number}"),
)
