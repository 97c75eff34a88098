"""Who an activity suits: its target group, by the residents' tags."""

from __future__ import annotations

from anju.activities.models import Activity
from anju.people.models import Resident


def suits(activity: Activity, resident: Resident | None) -> bool:
    """Everyone suits an activity without a target group; otherwise the resident needs one of its tags."""
    wanted = {t.pk for t in activity.target_tags.all()}
    if not wanted:
        return True
    if resident is None:
        return False
    return bool(wanted & {t.pk for t in resident.tags.all()})
