"""Small wording helpers shared by the apps: locale-appropriate separators, dates that show their year only
when it is not the current one, and the one plain local-time format for values that must read the same in every
language (notice parameters, exports)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import pgettext


def list_separator() -> str:
    """Between the items of a list of names or times: ", " in English, "、" in Chinese."""
    return pgettext("list separator", ", ")


def clause_separator() -> str:
    """Between clauses that each stand on their own: "; " in English, "；" in Chinese."""
    return pgettext("clause separator", "; ")


def phrase_separator() -> str:
    """Between the parts of one phrase: ", " in English, "，" in Chinese."""
    return pgettext("phrase separator", ", ")


def join_list(items: Iterable[object]) -> str:
    return list_separator().join(str(i) for i in items)


def near_date(value: date | datetime | None, rest: str = "", today: date | None = None) -> str:
    """``value`` as "m-d" when it falls in the current year, "Y-m-d" otherwise, followed by ``rest`` (more
    Django date format characters, e.g. "D H:i"). Datetimes are shown in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        day = value.date()
    else:
        day = value
    today = today or timezone.localdate()
    fmt = "m-d" if day.year == today.year else "Y-m-d"
    return date_format(value, f"{fmt} {rest}".strip())


def local_minute(value: datetime) -> str:
    """An aware time as ``YYYY-MM-DD HH:MM`` in the display zone (Asia/Shanghai), e.g. for notice parameters."""
    return timezone.localtime(value, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")
