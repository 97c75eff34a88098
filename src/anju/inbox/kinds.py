"""Registered message kinds: each names a lazily translated title template.

An app registers its kinds in its ``notices.py`` (imported from its
``AppConfig.ready()``)::

    register("activities.offer", _("A place is free for you in {activity}"))

The template uses ``str.format`` fields filled from the message's ``params``
when the message is shown, in the reader's language. An unknown kind, a
missing parameter or a broken template never raise: the reader gets a generic
title instead.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

GENERIC = gettext_lazy("You have a new message")

_KINDS: dict[str, str | Promise] = {}


def register(kind: str, lazy_title_template: str | Promise) -> None:
    """Register ``kind``; registering the same kind again with another template is a programming error."""
    if not kind or len(kind) > 60:
        raise ValueError(f"message kind {kind!r} must have 1 to 60 characters")
    known = _KINDS.get(kind)
    if known is not None and str(known) != str(lazy_title_template):
        raise ValueError(f"message kind {kind!r} registered twice with different titles")
    _KINDS[kind] = lazy_title_template


def is_registered(kind: str) -> bool:
    return kind in _KINDS


def registered() -> dict[str, str | Promise]:
    return dict(_KINDS)


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def fields_of(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def render(kind: str, params: Mapping[str, Any] | None = None) -> str:
    """The title of a message of ``kind`` in the active language."""
    template = _KINDS.get(kind)
    if template is None:
        return gettext("You have a new message")
    text = str(template)  # translated now, in the reader's language
    values = {k: v for k, v in (params or {}).items() if isinstance(k, str)}
    try:
        # Only plain field names: no attribute access or indexing on stored values.
        if any("." in n or "[" in n for _, n, _, _ in string.Formatter().parse(text) if n):
            raise ValueError(text)
        return text.format_map(_Params(values))
    except (KeyError, ValueError, IndexError, TypeError):
        return gettext("You have a new message")


#: Kinds a person must see in the app: work put on them or overdue work of theirs. Their in-app channel
#: cannot be turned off or deferred to the digest (email and SMS still follow the person's choice).
MUST_READ = frozenset(
    {
        "appeal.dispatched",  # an appeal assigned to my department
        "appeal.whistle",  # report on site within minutes
        "appeal.reopened",  # back to me: the requester is not satisfied
        "appeal.arrival.2",  # 催办: my department has not reported on site
        "appeal.arrival.3",  # 通报: a summoned department has not reported on site
        "escalation.2",  # 催办: overdue work of mine
        "escalation.3",  # 通报
        "escalation.4",  # escalated up the org tree
    }
)

#: The daily digest itself (written by :mod:`anju.inbox.digest`).
DIGEST = "inbox.digest"
register(DIGEST, gettext_lazy("Daily digest of unread messages ({threads})"))


def is_must_read(kind: str) -> bool:
    return kind in MUST_READ


def group_of(kind: str) -> str:
    """The family a kind belongs to ("appeal", "spaces", …), for grouping the settings page."""
    head = kind.split(".", 1)[0]
    return "appeal" if head == "escalation" else head


def sample(kind: str) -> str:
    """The kind's title in the active language with its fields shown as "…", to name the kind in settings."""
    template = _KINDS.get(kind)
    if template is None:
        return kind
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(str(template)):
        parts.append(literal)
        if name is not None:
            parts.append("…")
    return "".join(parts)
