"""Where an appeal was handed on to another module (a neighbour dispute re-classified into mediation), shown on
the appeal as that module's case number and status — nothing of the case itself.

Appeals knows no such module: the module registers a :class:`Referrals` provider from its ``AppConfig.ready()``
(the one-way edge goes from it to appeals), and writes the appeal's timeline line with :func:`referral_note`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from anju.appeals import notes
from anju.appeals.models import Appeal


@dataclass(frozen=True)
class Referral:
    """What the appeal shows: the receiving module's label, the case number and its status (a label)."""

    label: str
    number: str
    status: str
    url: str = ""  # the case's status page, for whoever may open it


@dataclass(frozen=True)
class Offer:
    """A step the appeal page offers staff: refer this appeal to the module (a label and a link)."""

    label: str
    url: str


Lookup = Callable[[Appeal, Any], list[Referral]]
OfferFn = Callable[[Appeal, Any], Offer | None]

_lookups: dict[str, Lookup] = {}
_offers: dict[str, OfferFn] = {}

REFERRED = "referred_on"
notes.register(REFERRED, _("Referred to %(what)s: case %(number)s."), lambda p: {**p, "what": _what(p.get("what"))})

_WHAT = {"mediation": _("mediation")}


def _what(key: Any) -> str:
    return str(_WHAT.get(str(key), key))


def register(key: str, lookup: Lookup, offer: OfferFn | None = None) -> None:
    """Register a module's referrals of appeals (``lookup(appeal, user)``) and its step (``offer``)."""
    if key in _lookups and _lookups[key] is not lookup:
        raise ValueError(f"{key!r} is registered twice")
    _lookups[key] = lookup
    if offer is not None:
        _offers[key] = offer


def referrals_of(appeal: Appeal, user: Any) -> list[Referral]:
    return [r for lookup in _lookups.values() for r in lookup(appeal, user)]


def offers_for(appeal: Appeal, user: Any) -> list[Offer]:
    return [o for fn in _offers.values() if (o := fn(appeal, user)) is not None]


def referral_note(appeal: Appeal, *, actor: Any, number: str, what: str) -> None:
    """The appeal's timeline line of a referral (internal): "Referred to mediation: case TJ…". Runs in the
    referring service's transaction."""
    from anju.appeals.services import timeline_event

    timeline_event(
        appeal,
        actor=actor,
        action="referred_on",
        from_status=appeal.status,
        note_key=REFERRED,
        note_params={"what": what, "number": number},
        public=False,
    )
