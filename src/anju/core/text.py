"""Small wording helpers shared by the apps: locale-appropriate separators, dates that show their year only
when it is not the current one, and the one plain local-time format for values that must read the same in every
language (notice parameters, exports)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format, localize
from django.utils.translation import get_language, ngettext, pgettext


def number_text(value: Any) -> str:
    """What Django's ``localize`` writes for a number, in a fraction of its time (a page of rates writes some 750
    numbers; ``localize`` took 5 µs each). With digit grouping off (``USE_THOUSAND_SEPARATOR``, Django's default)
    an int is its digits and a float its ``str`` with the language's decimal separator, as Django writes them;
    grouping, exponents and every other type go through ``localize`` itself."""
    kind = type(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    if kind is float and not settings.USE_THOUSAND_SEPARATOR:
        text = str(value)
        if "e" not in text:  # Django writes an exponent through Decimal
            return text.replace(".", _decimal_separator())
    return str(localize(value))


#: Each language's decimal separator, as ``get_format`` gives it (fixed for the life of the process).
_separators: dict[str, str] = {}


def _decimal_separator() -> str:
    language = get_language() or ""
    separator = _separators.get(language)
    if separator is None:
        separator = _separators[language] = str(get_format("DECIMAL_SEPARATOR", language, use_l10n=True))
    return separator


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


def duration_words(delta: timedelta) -> str:
    """A length of time as people say it: "89 天" / "89 days" for long spans, "2 天 3 小时" / "2 days 3 hours"
    within a few days, "3 小时 20 分钟" / "3 hours 20 minutes" within a day, "5 分钟" / "5 minutes" under an
    hour (at least one minute). The sign of ``delta`` is ignored."""
    minutes = max(1, int(abs(delta.total_seconds()) // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
        if days < 3 and hours:
            parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    elif hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        if minutes:
            parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    else:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def due_phrase(due: datetime | None, now: datetime | None = None) -> str:
    """How far a deadline is, in words: "已逾期 89 天" / "89 days overdue" when it has passed, "剩余 2 天 3 小时" /
    "2 days 3 hours left" otherwise; "" without a deadline. The one wording of durations on every page
    (``{{ due|due_phrase }}``, ``core/templatetags/anju_text.py``)."""
    if due is None:
        return ""
    now = now or timezone.now()
    words = duration_words(due - now)
    if due < now:
        return pgettext("deadline", "%(duration)s overdue") % {"duration": words}
    return pgettext("deadline", "%(duration)s left") % {"duration": words}
