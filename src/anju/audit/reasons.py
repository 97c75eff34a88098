"""Why someone reveals personal data: a purpose from a short list and a text a reviewer can read.

Every reveal in the app — a registry number, an unmasked export, an appeal requester's number, a number
screened out of free text — takes its reason through :func:`clean_reveal_reason` (services and the API)
or :class:`RevealReasonForm` (pages, which render ``audit/_reveal_reason_fields.html``), and stores both
parts in ``audit.PiiAccess`` (``purpose`` and ``reason``), shown on the personal-data access log.

What a reviewer can read: at least :data:`MIN_WEIGHT` worth of letters or digits, a Chinese character
counting two (so 5 characters of Chinese, or 10 letters), with at least one letter or character (not just
digits), at least four different characters, no character making up more than half of it, and not one
short piece repeated (``abab…``) or a run of the keyboard's order (``abcdefghij``, ``1234…``).
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

MIN_WEIGHT = 10
MAX_LENGTH = 300


class Purpose(models.TextChoices):
    CALLBACK = "callback", gettext_lazy("Callback (call the person back)")
    HOME_VISIT = "home_visit", gettext_lazy("Home visit or service")
    VERIFY_IDENTITY = "verify_identity", gettext_lazy("Verify identity")
    EMERGENCY = "emergency", pgettext_lazy("reveal purpose", "Emergency")
    OTHER = "other", gettext_lazy("Other")


@dataclass(frozen=True)
class RevealReason:
    purpose: str
    text: str

    @property
    def purpose_label(self) -> str:
        return str(Purpose(self.purpose).label)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


def _meaningful(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).lower()


def _repeated(chars: str) -> bool:
    """``abcabc``, ``aaaa``: the whole is one shorter piece repeated."""
    n = len(chars)
    return any(n % size == 0 and chars[:size] * (n // size) == chars for size in range(1, n // 2 + 1))


def _run(chars: str) -> bool:
    """``abcdef``, ``987654``: each character the next (or the previous) of the one before."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(chars)}
    return len(chars) > 2 and steps in ({1}, {-1})


def reason_problem(text: str) -> str:
    """Why ``text`` is not a reason a reviewer can read, in the user's language; "" when it is."""
    chars = _meaningful(text)
    weight = sum(2 if _is_wide(ch) else 1 for ch in chars)
    if not chars:
        return _("Say why you need to see it.")
    if weight < MIN_WEIGHT:
        return _("Say why in a few words a reviewer can understand (at least 5 Chinese characters or 10 letters).")
    if not any(ch.isalpha() for ch in chars):
        return _("Say why in words, not only digits.")
    if (
        len(set(chars)) < 4
        or max(chars.count(ch) for ch in set(chars)) * 2 > len(chars)
        or _repeated(chars)
        or _run(chars)
    ):
        return _("This does not read as a reason. Say what you will do with the number.")
    return ""


def clean_reveal_reason(purpose: Any, text: Any) -> RevealReason:
    """The reason of a reveal, validated; ``ValidationError`` keyed ``purpose`` and ``reason`` otherwise."""
    purpose = str(purpose or "").strip()
    text = " ".join(str(text or "").split())
    errors: dict[str, list[str]] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose what you need it for.")]
    if len(text) > MAX_LENGTH:
        errors["reason"] = [_("At most 300 characters.")]
    else:
        problem = reason_problem(text)
        if problem:
            errors["reason"] = [problem]
    if errors:
        raise ValidationError(errors)
    return RevealReason(purpose, text)


class RevealReasonForm(forms.Form):
    """The purpose and the reason of a reveal, for any page that reveals personal data. Render its fields
    with ``{% include "audit/_reveal_reason_fields.html" %}`` (field names ``purpose`` and ``reason``)."""

    purpose = forms.ChoiceField(label=gettext_lazy("What for"), choices=[("", "—"), *Purpose.choices])
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=MAX_LENGTH,
        help_text=gettext_lazy("What you will do with it, in words a reviewer can understand."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["reveal_reason"] = clean_reveal_reason(data.get("purpose"), data.get("reason"))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return data

    @property
    def reveal_reason(self) -> RevealReason:
        reason: RevealReason = self.cleaned_data["reveal_reason"]
        return reason
