"""Durations as people write them, in both languages: the one helper (``core.text.due_phrase``, the
``due_phrase`` filter and the appeals' deadline badge) that every page uses for "how long until / since"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from anju.appeals.templatetags.appeal_badges import deadline_badge
from anju.core.text import due_phrase, duration_words

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def ago(**kw: float) -> dt.datetime:
    return NOW - dt.timedelta(**kw)


def ahead(**kw: float) -> dt.datetime:
    return NOW + dt.timedelta(**kw)


@pytest.mark.parametrize(
    ("due", "zh", "en"),
    [
        (ago(days=89, hours=5), "已逾期 89 天", "89 days overdue"),
        (ago(hours=2157), "已逾期 89 天", "89 days overdue"),  # not "已超时 2157 小时"
        (ahead(days=2, hours=3), "剩余 2 天 3 小时", "2 days 3 hours left"),
        (ahead(days=1), "剩余 1 天", "1 day left"),
        (ahead(hours=3, minutes=20), "剩余 3 小时 20 分钟", "3 hours 20 minutes left"),
        (ahead(hours=1), "剩余 1 小时", "1 hour left"),
        (ago(minutes=5), "已逾期 5 分钟", "5 minutes overdue"),
        (ahead(seconds=20), "剩余 1 分钟", "1 minute left"),
        (ago(days=4, hours=23), "已逾期 4 天", "4 days overdue"),
    ],
)
def test_due_phrase_in_both_languages(due: dt.datetime, zh: str, en: str) -> None:
    with translation.override("zh-hans"):
        assert due_phrase(due, NOW) == zh
    with translation.override("en"):
        assert due_phrase(due, NOW) == en


def test_no_deadline_says_nothing() -> None:
    assert due_phrase(None, NOW) == ""
    assert deadline_badge(None, NOW) == ""


def test_duration_words_ignore_the_sign() -> None:
    with translation.override("en"):
        assert duration_words(dt.timedelta(hours=-26)) == duration_words(dt.timedelta(hours=26)) == "1 day 2 hours"


def test_badges_separate_overdue_from_due_soon() -> None:
    with translation.override("zh-hans"):
        overdue = deadline_badge(ago(days=3), NOW)
        soon = deadline_badge(ahead(hours=5), NOW)
        later = deadline_badge(ahead(days=4), NOW)
    assert 'data-deadline="overdue"' in overdue
    assert "badge-danger" in overdue
    assert "已逾期 3 天" in overdue
    assert 'data-deadline="soon"' in soon
    assert "badge-warn" in soon
    assert "剩余 5 小时" in soon
    assert 'data-deadline="on_time"' in later
    assert "badge-ok" in later


def test_the_template_filter_is_the_same_helper() -> None:
    due = timezone.now() - dt.timedelta(days=89, hours=1)
    with translation.override("zh-hans"):
        rendered = Template("{% load anju_text %}{{ due|due_phrase }}").render(Context({"due": due}))
    assert rendered == "已逾期 89 天"
