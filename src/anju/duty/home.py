"""The duty card on volunteers' and residents' home pages: the next shifts and offers waiting for an answer."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.duty import selectors


def duty_card(user: Any, kind: str) -> dict[str, Any] | None:
    if kind not in ("resident", "volunteer") or not policy.can(user, "duty.view"):
        return None
    if not selectors.my_volunteers(user).exists():
        return None
    return {"upcoming": list(selectors.my_assignments(user)[:4])}
