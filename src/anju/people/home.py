"""The registry card on community workers' home pages (registered in ``PeopleConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.core import replica
from anju.people.selectors import registry_summary


@replica.reads
def registry_card(user: Any, kind: str) -> dict[str, Any] | None:
    if kind != "worker" or not policy.can(user, "people.view"):
        return None
    return registry_summary(user)
