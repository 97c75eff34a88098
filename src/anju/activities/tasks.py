"""The worker's sweep for the waiting lists: unanswered offers pass on to the next person."""

from __future__ import annotations

from anju.activities import services
from anju.jobs.registry import periodic


@periodic("activities.expire_offers", every_seconds=60)
def expire_offers() -> None:
    services.offers_expire()
