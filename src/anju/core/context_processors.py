from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from anju.core import registry
from anju.core.nav import nav_for

ELDER_COOKIE = "anju_elder"


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    context = {
        "site_name": settings.ANJU_SITE_NAME,
        "nav_items": nav_for(user, request.path) if authenticated else [],
        "elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1",
        "languages": settings.LANGUAGES,
    }
    context.update(registry.shell(request))  # what apps add to every page (the inbox's unread count)
    return context
