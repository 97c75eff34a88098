"""Who may use the inbox: every signed-in user has one, and sees only their own messages.

Views and API operations declare ``READ`` (any signed-in, active user); every query is filtered by
``recipient=user``, so another user's message answers 404 like a missing one. The notice settings page
has no user in its address: each person reads and changes only their own.

``inbox.work_notices`` names who gets the notice defaults of people who handle appeals (new appeals in
the daily digest rather than one message each); it guards no page.
"""

from anju.access.policy import AUTHENTICATED, declare
from anju.access.roles import STAFF_ROLES, Role

READ = AUTHENTICATED
SETTINGS = AUTHENTICATED

WORK_NOTICES = declare(
    "inbox.work_notices",
    STAFF_ROLES | {Role.DEPARTMENT_LIAISON, Role.SUPERVISOR},
    description="Gets the notice defaults of people who handle appeals (new appeals in the daily digest)",
)
