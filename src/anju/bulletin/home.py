"""The notices card on residents' and volunteers' home pages (registered in ``BulletinConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.bulletin.selectors import notices_for


def notice_card(user: Any, kind: str) -> list[Any] | None:
    if kind not in ("resident", "volunteer") or not policy.can(user, "notice.view"):
        return None
    return list(notices_for(user)[:5])
