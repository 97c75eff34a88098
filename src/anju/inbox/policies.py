"""Who may use the inbox: every signed-in user has one, and sees only their own messages.

Views and API operations declare ``READ`` (any signed-in, active user); every query is filtered by
``recipient=user``, so another user's message answers 404 like a missing one.
"""

from anju.access.policy import AUTHENTICATED

READ = AUTHENTICATED
