"""The time services stamp on rows. The demo loader replays months of history
by setting it; everything else uses the real clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

from django.utils import timezone

_state = threading.local()


def now() -> dt.datetime:
    fixed = getattr(_state, "at", None)
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    previous = getattr(_state, "at", None)
    _state.at = at
    try:
        yield
    finally:
        _state.at = previous
