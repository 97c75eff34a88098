"""What the inbox adds to every page's shell (registered in ``InboxConfig.ready()``)."""

from __future__ import annotations

import functools
from typing import Any

from anju.inbox import selectors


def unread(request: Any) -> Any:
    """The header's count of threads with unread messages, called by the template only where the header
    shows it: one COUNT query per page, none when anonymous."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return functools.cache(functools.partial(selectors.unread_threads_of_request, request))
