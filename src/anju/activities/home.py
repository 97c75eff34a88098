"""The activities card on residents' and volunteers' home pages."""

from __future__ import annotations

from typing import Any

from anju.accounts import policy
from anju.activities import selectors


def notice_card(user: Any, kind: str) -> list[Any] | None:
    if kind not in ("resident", "volunteer") or not policy.can(user, "notice.view"):
        return None
    from anju.bulletin.selectors import notices_for

    return list(notices_for(user)[:5])


def activities_card(user: Any, kind: str) -> dict[str, Any] | None:
    if kind not in ("resident", "volunteer") or not policy.can(user, "activity.view"):
        return None
    return {
        "upcoming": selectors.upcoming(user)[:5],
        "registrations": list(selectors.my_registrations(user)[:8]),
    }
