"""The activities card on residents' and volunteers' home pages."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.activities import selectors


def activities_card(user: Any, kind: str) -> dict[str, Any] | None:
    if kind not in ("resident", "volunteer") or not policy.can(user, "activity.view"):
        return None
    return {
        "upcoming": selectors.upcoming(user)[:5],
        "registrations": list(selectors.my_registrations(user)[:8]),
    }
