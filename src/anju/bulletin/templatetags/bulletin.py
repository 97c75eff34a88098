"""``{% activity_summary activity user as summary %}``: the activity page's link to its summary on the notice
board, or (for staff, once the activity has finished) to the page that publishes one."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from anju.access import policy
from anju.bulletin import selectors, services

register = template.Library()


@register.simple_tag
def activity_summary(activity: Any, user: Any) -> dict[str, Any]:
    notice = selectors.notices_for(user).filter(activity=activity).first()
    can_publish = False
    if notice is None and policy.can(user, "notice.manage", activity):
        finished = services.activity_finished_at(activity)
        can_publish = finished is not None and finished <= timezone.now() and services.summary_for(activity) is None
    return {"notice": notice, "can_publish": can_publish}
