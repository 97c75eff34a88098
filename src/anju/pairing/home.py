"""The "this week" card on a central household's home page."""

from __future__ import annotations

from typing import Any

from anju.pairing import selectors


def pairing_card(user: Any, kind: str) -> dict[str, Any] | None:
    central = selectors.central_of(user)
    if central is None:
        return None
    return {"central": central, "due": selectors.due_count(central)}
