from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anju.accounts import policy
from anju.spaces.models import Station


def stations_visible(user: Any) -> QuerySet[Station]:
    """Stations of communities within reach; a resident granted on a building
    reaches up to their own community's station."""
    return policy.visible(
        Station.objects.select_related("community"), user, "space.view", "community__path"
    ).prefetch_related("spaces__part_of")
