"""Readable sentences for audit rows, in the reader's language.

The audit row keeps structured ``data`` (ids, codes, flags); the audit pages show it as words. Each action
may have a renderer, ``fn(data) -> str``, registered here with :func:`register` (an app registers the
renderers of its own actions from ``AppConfig.ready()``, or this module holds them when they need nothing
but the data). An action without one, or whose renderer fails on an older row's shape, falls back to
:func:`readable`: every key by its label, flags as yes/no, lists joined, changes as "old → new", never a
raw ``key: False``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

Renderer = Callable[[Mapping[str, Any]], str]

_renderers: dict[str, Renderer] = {}

# The data keys services write, by label. Keys not listed are shown with their words spaced out.
KEY_LABELS: dict[str, Promise] = {
    "on_behalf": gettext_lazy("on someone's behalf"),
    "reason": gettext_lazy("reason"),
    "status": gettext_lazy("status"),
    "session": gettext_lazy("session"),
    "sessions": gettext_lazy("sessions"),
    "capacity": gettext_lazy("capacity"),
    "title": gettext_lazy("title"),
    "name": gettext_lazy("name"),
    "kind": gettext_lazy("kind"),
    "unit": gettext_lazy("org unit"),
    "parent": gettext_lazy("parent unit"),
    "role": gettext_lazy("role"),
    "department": gettext_lazy("department"),
    "departments": gettext_lazy("departments"),
    "household": gettext_lazy("household"),
    "tags": gettext_lazy("tags"),
    "is_central": gettext_lazy("central household"),
    "sensitive": gettext_lazy("sensitive"),
    "username": gettext_lazy("user name"),
    "category": gettext_lazy("category"),
    "channel": gettext_lazy("channel"),
    "photos": gettext_lazy("photos"),
    "consent": gettext_lazy("consent given"),
    "registry": gettext_lazy("linked to the registry"),
    "step": gettext_lazy("step"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "resolved": gettext_lazy("resolved"),
    "satisfaction": gettext_lazy("satisfaction"),
    "assisting": gettext_lazy("assisting departments"),
    "minutes": gettext_lazy("minutes"),
    "level": gettext_lazy("level"),
    "recipients": gettext_lazy("people notified"),
    "method": gettext_lazy("method"),
    "how": gettext_lazy("how"),
    "space": gettext_lazy("space"),
    "starts_at": gettext_lazy("starts"),
    "ends_at": gettext_lazy("ends"),
    "made": gettext_lazy("made"),
    "skipped": gettext_lazy("skipped"),
    "closed": gettext_lazy("closed"),
    "changed": gettext_lazy("changed"),
    "hours": gettext_lazy("opening hours"),
    "cover": gettext_lazy("cover picture"),
    "activity": gettext_lazy("activity"),
    "member": gettext_lazy("member"),
    "organisation": gettext_lazy("organisation"),
    "caption": gettext_lazy("caption"),
    "rows": gettext_lazy("rows"),
    "columns": gettext_lazy("columns"),
    "unmasked": gettext_lazy("unmasked"),
    "fields": gettext_lazy("fields"),
    "file": gettext_lazy("file"),
    "counted": gettext_lazy("counted in the rates"),
    "recorded": gettext_lazy("recorded by staff"),
    "follower": gettext_lazy("answered by a follower"),
    "respondent": gettext_lazy("respondent"),
    "year": gettext_lazy("year"),
    "urgency": gettext_lazy("urgency"),
    "code": gettext_lazy("code"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "previous": gettext_lazy("previous"),
    "until": gettext_lazy("until"),
    "dates": gettext_lazy("dates"),
    "days": gettext_lazy("days"),
    "replaces": gettext_lazy("replaces"),
    "summons": gettext_lazy("summons"),
    "escalation": gettext_lazy("escalation"),
    "guardian": gettext_lazy("guardian"),
    "resident": gettext_lazy("resident"),
    "moved": gettext_lazy("moved"),
    "shared": gettext_lazy("shared"),
    "size": gettext_lazy("size"),
    "rating": gettext_lazy("rating"),
    "messages": gettext_lazy("messages"),
    "failures": gettext_lazy("failed attempts"),
    "was_locked": gettext_lazy("was locked"),
    "booker_id": gettext_lazy("booked by (account no.)"),
    "household_id": gettext_lazy("household no."),
    "series_id": gettext_lazy("series no."),
    "token_id": gettext_lazy("token no."),
}

# Personal-data field names, as the access log and exports name them.
FIELD_LABELS: dict[str, Promise] = {
    "mobile": gettext_lazy("mobile number"),
    "id_number": gettext_lazy("ID number"),
    "name": gettext_lazy("name"),
    "address": gettext_lazy("address"),
    "contact": gettext_lazy("contact"),
    "requester": gettext_lazy("requester"),
}


def list_separator() -> str:
    """ ", " in English, "、" in Chinese."""
    return pgettext("list separator", ", ")


def sentences(*parts: str) -> str:
    """Sentences one after another: a space between them in English, none in Chinese (a catalogue cannot
    translate a space to nothing, so the language decides)."""
    gap = "" if (get_language() or "").lower().startswith("zh") else " "
    return gap.join(p for p in parts if p)


def register(action: str, fn: Renderer) -> None:
    """The renderer of ``action``'s data; registering one action twice is a programming error."""
    if action in _renderers and _renderers[action] is not fn:
        raise ValueError(f"{action!r} has a renderer already")
    _renderers[action] = fn


def label(key: str) -> str:
    found = KEY_LABELS.get(key)
    return str(found) if found is not None else key.replace("_", " ")


def value_text(value: Any) -> str:
    """One data value as words: yes/no, a dash for nothing, lists joined, [old, new] as old → new."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{label(str(k))}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return _("none")
        return list_separator().join(value_text(v) for v in value)
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "Y-m-d H:i")
    return str(value)


def change_text(changed: Mapping[str, Any]) -> str:
    """``{"field": [old, new]}`` as "field: old → new"."""
    parts = []
    for key, pair in changed.items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            parts.append(f"{label(str(key))}: {value_text(pair[0])} → {value_text(pair[1])}")
        else:
            parts.append(f"{label(str(key))}: {value_text(pair)}")
    return "; ".join(parts)


def readable(data: Mapping[str, Any]) -> str:
    """The fallback: every key by its label with its value as words ("changed" as old → new)."""
    parts = []
    for key, value in data.items():
        if key == "changed" and isinstance(value, dict):
            parts.append(change_text(value))
        else:
            parts.append(f"{label(key)}: {value_text(value)}")
    return "; ".join(p for p in parts if p)


def field_text(field: str) -> str:
    """A personal-data field name of the access log as words: ``export:mobile,id_number`` reads
    "exported: mobile number, ID number"."""
    verb, _sep, names = field.partition(":")
    if not _sep:
        names, verb = verb, ""
    shown = list_separator().join(str(FIELD_LABELS.get(n.strip(), n.strip())) for n in names.split(",") if n.strip())
    if verb == "export":
        return _("exported: %(fields)s") % {"fields": shown}
    if verb == "print":
        return _("printed: %(fields)s") % {"fields": shown}
    return shown if not verb else f"{verb}: {shown}"


def describe(action: str, data: Mapping[str, Any] | None) -> str:
    """The details of one audit row as a sentence in the active language ("" for no details)."""
    if not data:
        return ""
    fn = _renderers.get(action)
    if fn is not None:
        try:
            return fn(data)
        except (KeyError, TypeError, ValueError):  # an older row's shape: the fallback still reads well
            pass
    return readable(data)


# --- renderers that need nothing but the data -------------------------------------------------------


def _registered(data: Mapping[str, Any]) -> str:
    status = {
        "confirmed": _("a place confirmed"),
        "waitlisted": _("on the waiting list"),
        "offered": _("a place offered"),
    }.get(str(data.get("status")), value_text(data.get("status")))
    return sentences(
        _("Registration: %(status)s.") % {"status": status},
        _("Registered by staff on the resident's behalf.") if data.get("on_behalf") else "",
        _("Reason: %(reason)s") % {"reason": data["reason"]} if data.get("reason") else "",
    )


def _exported(data: Mapping[str, Any]) -> str:
    rows = data.get("rows")
    masking = ""
    if data.get("unmasked"):
        masking = _("Mobile and ID numbers in full (logged as personal-data access).")
    elif "unmasked" in data:
        masking = _("Mobile and ID numbers masked.")
    rest = {k: v for k, v in data.items() if k not in {"rows", "unmasked"}}
    return sentences(_("%(rows)s rows exported.") % {"rows": rows} if rows is not None else "", masking, readable(rest))


def _transition(data: Mapping[str, Any]) -> str:
    text = _("From “%(from)s” to “%(to)s”.") % {"from": value_text(data["from"]), "to": value_text(data["to"])}
    rest = {k: v for k, v in data.items() if k not in {"from", "to", "step"}}
    return sentences(text, readable(rest))


def _callback(data: Mapping[str, Any]) -> str:
    counted = ""
    if "counted" in data:
        counted = _("Counted in the rates.") if data["counted"] else _("Not counted in the rates.")
    return sentences(
        _("Resolved: %(resolved)s; satisfaction: %(level)s.")
        % {"resolved": value_text(data["resolved"]), "level": value_text(data.get("satisfaction"))},
        _("Answered by a follower, not the requester.") if data.get("follower") else "",
        counted,
    )


def _printed(data: Mapping[str, Any]) -> str:
    document = {
        "work_order": _("Work order"),
        "signin_sheet": _("Sign-in sheet"),
        "room_schedule": _("Room schedule"),
        "roster": _("Roster"),
    }.get(str(data["document"]), value_text(data["document"]))
    return sentences(
        _("%(document)s with %(people)s people on it.") % {"document": document, "people": data.get("people", 0)},
        _("Downloaded as a PDF.") if data.get("format") == "pdf" else "",
    )


for _action, _fn in (
    ("document.printed", _printed),
    ("activity.registered", _registered),
    ("resident.exported", _exported),
    ("activity.attendance_exported", _exported),
    ("appeal.transition", _transition),
    ("appeal.callback", _callback),
):
    register(_action, _fn)
