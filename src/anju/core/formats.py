"""Plain-text formatting shared by the apps (values that must read the same in every language)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def local_minute(value: datetime) -> str:
    """An aware time as ``YYYY-MM-DD HH:MM`` in the display zone (Asia/Shanghai), e.g. for notice parameters."""
    return timezone.localtime(value, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")
