"""System-written timeline notes, rendered in the reader's language.

A step the system describes (filed through a channel, dispatched to a department, a whistle blown …) is
stored on :class:`~anju.appeals.models.AppealEvent` as ``note_key`` + ``note_params``, not as text
translated at write time; the page renders it when shown, in the reader's language (the same idea as the
inbox's message kinds, :mod:`anju.inbox.kinds`). What a person typed stays in ``note`` exactly as typed and
is shown after the system's sentence.

A key names one lazily translated template, or a tuple of them joined by a space, filled with ``%``-style
named fields from the stored parameters (the message ids the notes had when they were written translated,
so the catalogue keeps serving them). A ``prepare`` function may turn stored values into display values
at render time (a channel code into its label, a flag into "yes"/"no"). An unknown key, a missing
parameter or a broken template never raise: the sentence is left out and the typed note is still shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

Prepare = Callable[[dict[str, Any]], dict[str, Any]]
Template = str | Promise | tuple[str | Promise, ...]

_NOTES: dict[str, tuple[Template, Prepare | None]] = {}


def _parts(template: Template) -> tuple[str | Promise, ...]:
    return template if isinstance(template, tuple) else (template,)


def register(key: str, lazy_template: Template, prepare: Prepare | None = None) -> None:
    """Register ``key``; registering the same key again with another template is a programming error."""
    if not key or len(key) > 40:
        raise ValueError(f"note key {key!r} must have 1 to 40 characters")
    known = _NOTES.get(key)
    if known is not None and [str(t) for t in _parts(known[0])] != [str(t) for t in _parts(lazy_template)]:
        raise ValueError(f"note key {key!r} registered twice with different templates")
    _NOTES[key] = (lazy_template, prepare)


def is_registered(key: str) -> bool:
    return key in _NOTES


def render(key: str, params: Mapping[str, Any] | None = None) -> str:
    """The sentence of ``key`` in the active language; "" when it cannot be rendered."""
    entry = _NOTES.get(key)
    if entry is None:
        return ""
    template, prepare = entry
    values = {k: v for k, v in (params or {}).items() if isinstance(k, str)}
    try:
        if prepare is not None:
            values = prepare(values)
        # Translated now, in the reader's language; ``%`` with a mapping reads names only.
        return " ".join(str(part) % values for part in _parts(template))
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return ""


def text(key: str, params: Mapping[str, Any] | None, typed: str) -> str:
    """What the timeline shows for a step: the system's sentence, then the typed note."""
    sentence = render(key, params) if key else ""
    return " ".join(part for part in (sentence, (typed or "").strip()) if part)


# --- the appeal timeline's sentences --------------------------------------------------------------


def _channel(values: dict[str, Any]) -> dict[str, Any]:
    from anju.appeals.models import Channel

    code = values.get("channel", "")
    return {**values, "channel": Channel(code).label if code in Channel.values else code}


def _yes_no(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "resolved": gettext("yes") if values["resolved"] else gettext("no")}


def _names(values: dict[str, Any]) -> dict[str, Any]:
    names = values["names"]
    return {**values, "names": "、".join(str(n) for n in names) if isinstance(names, list) else names}


def _late(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "late": gettext(" (late)") if values.get("late") else ""}


def _arrival(values: dict[str, Any]) -> dict[str, Any]:
    from anju.appeals.models import Summons

    code = values.get("method", "")
    method = Summons.Arrival(code).label if code in Summons.Arrival.values else code
    late = values.get("late") and code in Summons.VERIFIED  # a self-declared arrival is neither late nor on time
    return {**values, "late": gettext(" (late)") if late else "", "method": method}


FILED = "filed"
FOLLOWED = "followed"
DUPLICATE = "duplicate"
DISPATCHED = "dispatched"
DISPATCHED_ASSISTING = "dispatched_assisting"
CALLBACK = "callback"
FOLLOWER_CALLBACK = "follower_callback"
FOLLOWER_CALLBACK_RECORDED = "follower_callback_recorded"
REQUESTER_LINKED = "requester_linked"
REQUESTER_UNLINKED = "requester_unlinked"
WHISTLE = "whistle"
CHECKIN = "checkin"  # before arrivals said how they were recorded
CHECKIN_BY = "checkin_by"
REMINDED = "reminded"
COMPLEX = "complex"

_FOLLOWER_ANSWER = _("A follower answered the callback. Resolved: %(resolved)s. %(level)s.")

register(FILED, "%(channel)s", _channel)  # the channel's own label, translated at render
register(FOLLOWED, _("Another resident has the same problem."))
register(DUPLICATE, _("Same problem as appeal %(number)s."))
register(DISPATCHED, _("Dispatched to %(department)s."))
register(DISPATCHED_ASSISTING, (_("Dispatched to %(department)s."), _("Assisting: %(names)s.")), _names)
register(CALLBACK, _("Resolved: %(resolved)s. %(level)s."), _yes_no)
register(FOLLOWER_CALLBACK, _FOLLOWER_ANSWER, _yes_no)
register(FOLLOWER_CALLBACK_RECORDED, (_FOLLOWER_ANSWER, _("(recorded by a community worker)")), _yes_no)
register(REQUESTER_LINKED, _("Linked to the requester's registry entry."))
register(REQUESTER_UNLINKED, _("Unlinked from the registry entry."))
register(WHISTLE, _("Whistle blown: %(names)s summoned, arrival within %(minutes)d minutes."), _names)
register(CHECKIN, _("%(name)s arrived on site%(late)s."), _late)
register(REMINDED, _("Reminder (催办) sent to %(department)s."))
register(CHECKIN_BY, _("%(name)s arrived on site%(late)s: %(method)s."), _arrival)
register(COMPLEX, _("Marked complex (复杂诉求): the feedback is due by the complex deadline. Reason:"))
