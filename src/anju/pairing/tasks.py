"""The weekly digest: every hour the worker sends what is missing this week; the unique (central household,
week) key makes each digest go once, whatever the number of workers, retries or crashes."""

from __future__ import annotations

from anju.jobs.registry import periodic
from anju.pairing import services


@periodic("pairing.weekly_digest", every_seconds=3600)
def weekly_digest() -> None:
    services.digests_send_due()
