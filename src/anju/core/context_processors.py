from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from anju.core.nav import nav_for
from anju.inbox.selectors import unread_count

ELDER_COOKIE = "anju_elder"


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return {
        "site_name": settings.ANJU_SITE_NAME,
        "nav_items": nav_for(user, request.path) if authenticated else [],
        # Called by the template only where the header shows it: one COUNT query per page, none when anonymous.
        "inbox_unread": functools.cache(functools.partial(unread_count, user)) if authenticated else 0,
        "elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1",
        "languages": settings.LANGUAGES,
    }
