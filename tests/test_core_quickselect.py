"""QuickSelect writes the same <select> as Django's Select, without a template render per option."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html
from django.utils import translation
from django.utils.translation import gettext_lazy

from anju.core import forms as core_forms
from anju.core.forms import KeptChoices, QuickSelect

CHOICES = [("", "任何"), ("1", '路灯 <坏了> & "灭"'), ("2", "Grid 2"), (3, "三"), ("3", "duplicate value")]


def _form(widget: type[forms.Select], data: dict[str, Any] | None, *, required: bool = False) -> forms.Form:
    class F(forms.Form):
        pick = forms.ChoiceField(label="Pick", choices=CHOICES, required=required, widget=widget, help_text="help")

    return F(data)


@pytest.mark.parametrize(
    ("data", "required"),
    [(None, False), ({"pick": "1"}, False), ({"pick": "3"}, True), ({"pick": "nope"}, True), ({}, True)],
)
def test_the_markup_is_djangos(data: dict[str, Any] | None, required: bool) -> None:
    ours = _form(QuickSelect, data, required=required)
    django = _form(forms.Select, data, required=required)
    if data is not None:
        assert ours.is_valid() == django.is_valid()
    assert parse_html(str(ours["pick"])) == parse_html(str(django["pick"]))


def test_labels_are_escaped_and_one_option_is_selected() -> None:
    html = str(_form(QuickSelect, {"pick": "3"})["pick"])
    assert "&lt;坏了&gt; &amp; &quot;灭&quot;" in html
    assert html.count(" selected") == 1


def test_grouped_choices_fall_back_to_django() -> None:
    grouped = [("东区", [("1", "一"), ("2", "二")]), ("西区", [("3", "三")])]

    class F(forms.Form):
        pick = forms.ChoiceField(choices=grouped, widget=QuickSelect)

    class G(forms.Form):
        pick = forms.ChoiceField(choices=grouped)

    assert parse_html(str(F({"pick": "2"})["pick"])) == parse_html(str(G({"pick": "2"})["pick"]))


def test_attributes_of_every_kind_are_written_as_django_writes_them() -> None:
    attrs = {"data-none": None, "disabled": False, "autofocus": True, "data-n": 3, "class": 'a "b" & c'}
    ours = QuickSelect(attrs=attrs, choices=CHOICES).render("pick", "2")
    django = forms.Select(attrs=attrs, choices=CHOICES).render("pick", "2")
    assert parse_html(ours) == parse_html(django)
    assert 'data-none="None"' in ours  # as Django's attrs.html writes it (flatatt would leave it out)


def test_kept_choices_are_taken_as_they_are_and_read_as_a_list() -> None:
    kept = KeptChoices([(str(v), label) for v, label in CHOICES])

    class F(forms.Form):
        pick = forms.ChoiceField(choices=[], widget=QuickSelect)

    form = F({"pick": "2"})
    form.fields["pick"].choices = kept  # type: ignore[attr-defined]
    assert form.fields["pick"].choices is kept  # type: ignore[attr-defined]
    assert form.fields["pick"].widget.choices is kept  # type: ignore[attr-defined]
    assert form.is_valid()
    assert form.cleaned_data["pick"] == "2"
    assert not F({"pick": "9"}).is_valid()

    class G(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES)

    assert parse_html(str(form["pick"])) == parse_html(str(G({"pick": "2"})["pick"]))


def test_the_kept_tags_mark_each_render_s_own_choice_and_follow_the_language() -> None:
    core_forms._options.clear()
    choices = [("", gettext_lazy("Any")), ("1", "一"), ("2", "二")]
    widget = QuickSelect(choices=choices)
    with translation.override("en"):
        first = widget.render("pick", "1")
        second = widget.render("pick", "2")
        nothing = widget.render("pick", "")
        english = widget.render("pick", "9")
    with translation.override("zh-hans"):
        chinese = widget.render("pick", "9")
    assert '<option value="1" selected>一</option>' in first
    assert first.count(" selected") == 1
    assert '<option value="2" selected>二</option>' in second
    assert second.count(" selected") == 1
    assert '<option value="1">一</option>' in second  # the first render's choice did not stay marked
    assert '<option value="" selected>Any</option>' in nothing
    assert " selected" not in english
    assert ">Any<" in english
    assert ">不限<" in chinese
    assert ">Any<" not in chinese
    assert len(core_forms._options) == 2  # one list of tags per language, reused within it
