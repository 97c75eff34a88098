"""What each role sees of a resident, decided as a whole (DESIGN.md rule 3).

A masked field is only as masked as the fields shown beside it: the birth date *is* the middle of the ID
number, and the GB 11643 check digit ties the rest together, so ``4299**********0550`` beside
``1948-03-08`` leaves at most ten candidates (one once the region code is guessed). The registry therefore
decides the fields of a resident together, per role, here and nowhere else; the pages, the API, the Excel
export, the appeals' requester picker and the booking labels all go through :class:`~anju.people.selectors.Viewer`,
which asks :func:`profile_for`.

=====================  ==========  ============  ===================  ===============  ==============
profile (roles)        name        birth         ID number            door number      sensitive tags
=====================  ==========  ============  ===================  ===============  ==============
full (grid worker,     in full     full date     ``4299**********``   shown            shown
community worker,                                ****: region head
branch secretary,                                only
administrator)
limited (volunteer,    ``张*丰``    age band      not shown            building and     hidden
supervisor)                        (70–79)                            entrance only
=====================  ==========  ============  ===================  ===============  ==============

Department liaisons and residents have no registry access at all (``people.view``); a resident sees only
their own household where another app shows it.

Why nothing can be rebuilt (``tests/test_people_profiles.py`` enumerates it for every demo role and
resident, assuming the attacker knows the region code):

* full: birth date and gender shown, ID order code and check digit hidden → 500 candidates; the full number
  needs a reveal (``people.reveal``, with a reason, logged), even for the roles that may reveal;
* limited: no ID digit at all, and only a ten-year age band → hundreds of thousands of candidates.

The mobile number is masked the same for every role (``170****0001``): nothing else shown narrows its
four hidden digits.

Sensitive tags (``Tag.sensitive``: 残疾, 低保, 孕产妇 by default; PIPL art. 28 — health and financial
hardship) are shown only to the roles that serve those residents, and filtering by them is refused to the
others (a filter would reveal who carries the tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.access.roles import Role

# The action that grants the full profile (declared in ``people.policies``).
FULL_ACTION = "people.names"


@dataclass(frozen=True)
class Profile:
    key: str
    names: bool  # the name in full (else 张*丰)
    birth_date: bool  # the full birth date (else a ten-year age band)
    id_number: bool  # the ID number masked to its region head (else not shown at all)
    door: bool  # the door number (else building and entrance)
    sensitive_tags: bool  # tags marked sensitive (else left out)


FULL = Profile("full", names=True, birth_date=True, id_number=True, door=True, sensitive_tags=True)
LIMITED = Profile("limited", names=False, birth_date=False, id_number=False, door=False, sensitive_tags=False)

# For the documentation and the tests: which profile each role gets within its reach.
ROLE_PROFILES: dict[str, Profile | None] = {
    Role.ADMIN: FULL,
    Role.BRANCH_SECRETARY: FULL,
    Role.COMMUNITY_WORKER: FULL,
    Role.GRID_WORKER: FULL,
    Role.VOLUNTEER: LIMITED,
    Role.SUPERVISOR: LIMITED,
    Role.DEPARTMENT_LIAISON: None,
    Role.RESIDENT: None,
}


def profile_for(user: Any, obj: Any, *, full_anywhere: bool | None = None) -> Profile:
    """The profile ``user`` sees ``obj`` (a resident or a household) with. ``full_anywhere`` is the
    action-level answer when the caller has it already (a cheap first test)."""
    if full_anywhere is None:
        full_anywhere = policy.can(user, FULL_ACTION)
    return FULL if full_anywhere and policy.can(user, FULL_ACTION, obj) else LIMITED


def age(born: date, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_band(born: date | None, today: date | None = None) -> str:
    """``70–79`` for a resident aged 70 to 79 (the label says years in the reader's language)."""
    if born is None:
        return ""
    low = max(age(born, today), 0) // 10 * 10
    return _("%(low)d–%(high)d years") % {"low": low, "high": low + 9}


def address_label(profile: Profile, address: Any, number: str = "") -> str:
    """The household's address as this profile shows it."""
    if profile.door:
        label = str(address)
        return f"{label} ({number})" if number else label
    parts = [address.unit.name]
    if address.entrance:
        parts.append(f"{address.entrance}单元" if address.entrance.isdigit() else address.entrance)
    return _("%(place)s, door hidden") % {"place": " ".join(parts)}
