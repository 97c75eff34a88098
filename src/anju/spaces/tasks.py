"""The worker's sweeps for bookings. Both pick rows by deadlines stored in them, so running twice is harmless."""

from __future__ import annotations

from anju.jobs.registry import periodic
from anju.spaces import services


@periodic("spaces.release_no_shows", every_seconds=60)
def release_no_shows() -> None:
    services.bookings_release_no_shows()


@periodic("spaces.series_sweep", every_seconds=3600)
def series_sweep() -> None:
    services.series_sweep()
