"""Helpers shared by the HTML forms of every app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's validation errors on the form's fields (or on top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
