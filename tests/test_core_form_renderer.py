"""The form renderer writes plain inputs and empty error lists without a template render, byte for byte as
Django's templates write them."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorDict, ErrorList
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from anju.core.forms import _INPUT_TEMPLATES as QUICK_TEMPLATES
from anju.core.forms import DateInput, FormRenderer

DJANGO = DjangoTemplates()
QUICK = FormRenderer()

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"type": "search", "placeholder": 'Number, "text" & <address>'}),
    forms.NumberInput(attrs={"min": 0, "step": 0.5}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.DateInput(),
    DateInput(),
    forms.TimeInput(),
    forms.DateTimeInput(),
]
VALUES: list[Any] = [None, "", "路灯不亮", 'a "quoted" <b>value</b> & more', 42, mark_safe("<safe>"), "2026-12-04"]
ATTRS: list[dict[str, Any]] = [
    {},
    {"id": "id_q", "required": True},
    {"id": "id_q", "disabled": False, "autofocus": True, "aria-describedby": "id_q_helptext"},
    {"data-x": None, "maxlength": 100, "class": "a&b"},
]


def both(widget: forms.Widget, value: Any, attrs: dict[str, Any]) -> tuple[str, str]:
    return (
        str(widget.render("q", value, attrs=attrs, renderer=DJANGO)),
        str(widget.render("q", value, attrs=attrs, renderer=QUICK)),
    )


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_a_plain_input_is_written_as_django_writes_it(widget: forms.Widget) -> None:
    assert widget.template_name in QUICK_TEMPLATES  # each of these takes the quick path
    for value in VALUES:
        for attrs in ATTRS:
            django, quick = both(widget, value, attrs)
            assert quick == django


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.none(), st.text()), name=st.text(min_size=1), attr=st.one_of(st.text(), st.booleans()))
def test_any_text_is_escaped_as_django_escapes_it(value: str | None, name: str, attr: str | bool) -> None:
    widget = forms.TextInput()
    assert str(widget.render(name, value, attrs={"title": attr}, renderer=QUICK)) == str(
        widget.render(name, value, attrs={"title": attr}, renderer=DJANGO)
    )


def test_error_lists_are_written_as_django_writes_them() -> None:
    for errors in (ErrorList(), ErrorList(["必填项。", "<b>bad</b>"]), ErrorList(["x"], error_class="nonfield")):
        for template in (errors.template_name, errors.template_name_ul, errors.template_name_text):
            assert errors.render(template, renderer=QUICK) == errors.render(template, renderer=DJANGO)
    for errors in (ErrorDict(), ErrorDict({"q": ErrorList(["必填项。"])})):
        assert errors.render(renderer=QUICK) == errors.render(renderer=DJANGO)


def test_other_widgets_still_go_to_django_templates() -> None:
    widget = forms.Textarea()
    assert widget.template_name not in QUICK_TEMPLATES
    assert both(widget, "a <b>", {"rows": 3}) == (str(widget.render("q", "a <b>", {"rows": 3}, renderer=DJANGO)),) * 2


def test_a_bound_form_renders_the_same_with_either_renderer() -> None:
    class Filters(forms.Form):
        q = forms.CharField(max_length=5, required=False)
        start = forms.DateField(required=False, widget=DateInput())
        n = forms.IntegerField(min_value=1)

    for data in ({}, {"q": "toolong", "start": "2026-13-01", "n": "0"}, {"q": "ok", "start": "2026-12-04", "n": "3"}):
        django, quick = Filters(data, renderer=DJANGO), Filters(data, renderer=QUICK)
        django.is_valid()
        quick.is_valid()
        assert str(quick) == str(django)
        for name in quick.fields:
            assert str(quick[name].errors) == str(django[name].errors)
