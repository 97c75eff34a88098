"""Date and time inputs carry ISO values in every language, so the browser's native picker shows them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.utils import timezone, translation

from anju.activities.forms import ActivityCreateForm
from anju.appeals.forms import AppealFilterForm
from anju.bulletin.forms import NoticeForm
from anju.core.forms import DateInput, DateTimeInput, TimeInput
from anju.people.forms import ArchiveForm
from anju.spaces.forms import BookingForm, ClosureForm

DAY = dt.date(2026, 12, 4)
AT = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


class Every(forms.Form):
    day = forms.DateField(widget=DateInput())
    at = forms.TimeField(widget=TimeInput())
    when = forms.DateTimeField(widget=DateTimeInput())


def value_of(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def test_the_widgets_render_iso_in_chinese_and_english() -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(Every(initial={"day": DAY, "at": dt.time(9, 30), "when": AT.replace(tzinfo=None)}))
            assert value_of(html, "day") == "2026-12-04"
            assert value_of(html, "at") == "09:30"
            assert value_of(html, "when") == "2026-12-04T09:30"
            for kind in ("date", "time", "datetime-local"):
                assert f'type="{kind}"' in html


def test_what_the_browser_posts_is_read_back_in_both_languages() -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            form = Every({"day": "2026-12-04", "at": "09:30", "when": "2026-12-04T09:30"})
            assert form.is_valid(), form.errors
            assert form.cleaned_data["day"] == DAY
            assert form.cleaned_data["at"] == dt.time(9, 30)


@pytest.mark.django_db
def test_every_date_field_of_the_project_uses_them() -> None:
    """The forms with date or time fields: each renders an ISO value in zh-Hans (2026/12/04 before)."""
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        booking = str(BookingForm(staff=True, initial={"date": DAY, "starts": dt.time(10), "until": DAY}))
        assert value_of(booking, "date") == "2026-12-04"
        assert value_of(booking, "starts") == "10:00"
        assert value_of(booking, "until") == "2026-12-04"
        closure = str(ClosureForm(initial={"starts": AT}))
        assert value_of(closure, "starts") == timezone.localtime(AT).strftime("%Y-%m-%dT%H:%M")
        assert value_of(str(ArchiveForm(initial={"on_date": DAY})), "on_date") == "2026-12-04"
        filters = str(AppealFilterForm(initial={"start": DAY}, departments=[], grids=[], categories=[]))
        assert value_of(filters, "start") == "2026-12-04"
        for name, field in ActivityCreateForm.base_fields.items():
            if isinstance(field, forms.DateTimeField | forms.DateField | forms.TimeField):
                assert isinstance(field.widget, DateTimeInput | DateInput | TimeInput), name
        for name in ("publish_at", "expires_at"):
            assert isinstance(NoticeForm.base_fields[name].widget, DateTimeInput)
