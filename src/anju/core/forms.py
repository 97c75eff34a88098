"""Helpers shared by the HTML forms of every app."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

#: Django's widget templates that are its ``input.html`` and nothing else.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        *("input", "text", "search", "number", "email", "url", "tel", "password", "hidden"),
        *("date", "time", "datetime", "color"),
    )
)


def django_attrs(attrs: dict[str, Any]) -> str:
    """A widget's attributes as Django's ``attrs.html`` writes them: ``False`` left out, ``True`` written bare,
    anything else as its text, escaped (``None`` too, as ``"None"``: Django's ``flatatt`` differs there)."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class FormRenderer(DjangoTemplates):
    """Django's form renderer (settings.FORM_RENDERER), writing two things without a template render:

    - an empty error list: every field's ``{{ field.errors }}`` rendered Django's error list template to write
      nothing (``{% if errors %}``), eight renders on the appeal list's filters alone;
    - a plain ``<input>``, byte for byte as Django's ``input.html`` and ``attrs.html`` write it.

    Anything else goes to Django's templates. No template of Anju overrides these; one that did would have to
    leave :data:`_INPUT_TEMPLATES`."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name.startswith("django/forms/errors/") and not context.get("errors"):
            return ""
        if template_name in _INPUT_TEMPLATES:
            widget = context["widget"]
            value = widget["value"]
            return str(
                format_html(
                    '<input type="{}" name="{}"{}{}>',
                    widget["type"],
                    widget["name"],
                    "" if value is None else format_html(' value="{}"', str(value)),
                    mark_safe(django_attrs(widget["attrs"])),  # noqa: S308  built by format_html
                )
            )
        return str(super().render(template_name, context, request))


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's validation errors on the form's fields (or on top)."""
    if hasattr(exc, "error_dict"):
        aliases = getattr(form, "error_aliases", {})  # a service's field name → the form's field showing it
        for field, errors in exc.message_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DateInput(forms.DateInput):
    """``<input type="date">`` whose value is always ISO (``YYYY-MM-DD``), whatever the language.

    Django localises a date input's value ("2026/12/04" in zh-Hans), which the browser's native picker
    rejects, so the field shows empty. The picker itself displays the date in the user's locale.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """``<input type="time">`` with an ISO value (``HH:MM``); 15-minute steps unless ``step`` is given."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">`` with an ISO value (``YYYY-MM-DDTHH:MM``), in local time."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


ISO_DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
"""What a ``datetime-local`` input posts, plus the space-separated form people type."""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several uploaded files (images by default) under one name; ``cleaned_data`` is a list, empty when none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class KeptChoices(BaseChoiceIterator):
    """Choices already as Django keeps them, a sequence of ``(value, label)`` pairs with no groups, taken as they
    are. A plain list given to a ``ChoiceField`` is normalised again by the field and by its widget on every form
    built: some 1,500 steps for the 500 grids, departments and categories of a district's filters."""

    def __init__(self, items: Sequence[tuple[str, Any]]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.items)


#: The ``<option>`` tags of a list of choices as :class:`QuickSelect` writes them, none selected, by the choices'
#: values and labels as read (a translated label reads differently in each language); cleared when it holds this
#: many (the filters of a city's few thousand staff reaches, in a few languages, stay far below it).
_OPTIONS_KEPT = 512
_options: dict[tuple[tuple[str, str], ...], tuple[tuple[str, ...], dict[str, int]]] = {}


def _option_tags(choices: list[tuple[Any, Any]]) -> tuple[tuple[str, ...], dict[str, int]]:
    """Each choice's ``<option>`` tag, not selected, and the index of each value's first tag: written once per
    list of choices as read, then reused."""
    pairs = tuple(("" if value is None else str(value), str(label)) for value, label in choices)
    kept = _options.get(pairs)
    if kept is None:
        tags = tuple(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in pairs)
        first: dict[str, int] = {}
        for index, (value, _label) in enumerate(pairs):
            first.setdefault(value, index)
        if len(_options) >= _OPTIONS_KEPT:
            _options.clear()
        kept = _options[pairs] = (tags, first)
    return kept


class QuickSelect(forms.Select):
    """Django's ``<select>`` with its options written in Python instead of one template render each.

    A filter of a district's supervisor offers hundreds of grids and departments; through Django's widget
    templates each option costs a template render, some 15 ms of a list page. The markup is the same as
    Django's (the attributes the bound field adds — id, required, aria — included); grouped choices fall back
    to Django's own rendering. The tags of a list of choices are written once (the same filters come back on
    every page) and the chosen one is marked in a copy."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> Any:
        choices = list(self.choices)
        if self.allow_multiple_selected or any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        tags, first = _option_tags(choices)
        # One option selected, the first whose value is among the values, in the choices' order (as Django).
        chosen = min((first[v] for v in self.format_value(value) if v in first), default=None)
        options = list(tags)
        if chosen is not None:
            options[chosen] = options[chosen].replace(">", " selected>", 1)
        body = mark_safe("".join(options))  # noqa: S308  every value and label was escaped by _option_tags
        return format_html('<select name="{}"{}>{}</select>', name, mark_safe(django_attrs(final)), body)  # noqa: S308
