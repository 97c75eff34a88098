"""Screening of free text that residents type (DESIGN.md rule 3): numbers in it are sealed on the way in.

A resident writes "请回电 17000000002 身份证4299…" in an appeal, a booking purpose or a note. The numbers in
such text get the same treatment as the registry's: sealed at rest, masked on every surface, shown in
full only to a role that may reveal them, after an access-log row.

**What is found** (:func:`find`), in this order, each span taken once:

* mainland mobile numbers: ``1[3-9]`` and nine more digits, whole or grouped 3-4-4 by spaces or dashes,
  with an optional ``+86`` / ``0086`` / ``86`` prefix;
* resident ID numbers: 18 characters (17 digits and a digit or ``X``, whole or grouped 6-8-4),
  checksum-valid *or not* (a mistyped number is still someone's), and the older 15-digit form when its
  date is plausible;
* bank card numbers: 16–19 digits (whole or in groups of four) that pass the Luhn check;
* Chinese plate numbers: a province character, the city letter, an optional ``·``, then five characters
  (ordinary) or six (new-energy, ``鄂JD12345``), optionally ending 挂/学/警;
* any other run of eleven or more digits, or a landline with its area code (``027-87654321``), as
  ``number``: long numbers in free text are rarely meant for everyone.

**How it is stored** (:func:`screen`): the text with each finding replaced by a placeholder ``⟦n⟧``
(n = 1, 2, …), then — only when something was found — one trailer ``⟦pii v1:<key id>:<sealed>⟧`` holding a
sealed, versioned JSON list ``{"v": 1, "items": [{"k": kind, "v": value}, …]}`` (``core.crypto``). The
column therefore never holds a found number in plain text, and the stored value is self-contained: no
extra column per screened field, so any app screens a field without a migration. The brackets ⟦ ⟧ a
person types are turned into 【 】 first, so nobody can forge a placeholder or a trailer.

**How it is shown**: :func:`masked` (the default on every page, export and API answer) replaces each
placeholder by the masked value (``core.masking``); :func:`revealed` by the full value, for a caller that
has checked the role and written the ``audit.PiiAccess`` row (each app's reveal service does both, with
``audit.reasons.clean_reveal_reason`` for the reason, as the registry's reveal does). Text stored before
screening existed has no trailer and is shown as stored until the app's data migration screens it.

:func:`screen` is idempotent: an already screened value is returned unchanged, so a data migration can
run twice. Key rotation: :func:`reseal` re-seals a screened value's trailer under the current key.

Apps that want screening without touching their pages use :class:`ScreenedCharField`: written plain,
stored screened, read back masked (a :class:`ScreenedStr` that remembers the stored form).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import models

from anju.core import crypto
from anju.core.masking import mask_bank_card, mask_digits, mask_id_number, mask_mobile, mask_plate

VERSION = 1
TRAILER = re.compile(r"⟦pii (v1:[A-Za-z0-9_]+:[A-Za-z0-9_=\-]+)⟧\Z")
PLACEHOLDER = re.compile(r"⟦(\d{1,3})⟧")

MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ \-]?)?(1[3-9]\d[ \-]?\d{4}[ \-]?\d{4})(?!\d)")
ID_18 = re.compile(r"(?<![\dA-Za-z])(\d{6}[ \-]?\d{8}[ \-]?\d{3}[\dXx])(?![\dA-Za-z])")
ID_15 = re.compile(r"(?<![\dA-Za-z])(\d{15})(?![\dA-Za-z])")
CARD = re.compile(r"(?<!\d)(\d{16,19}|\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?)(?!\d)")
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"
PLATE = re.compile(
    rf"([{PROVINCES}][A-HJ-NP-Za-hj-np-z][ ·•・\-]?(?:{_PLATE_CHAR}{{6}}|{_PLATE_CHAR}{{5}}[挂学警]?))(?![A-Za-z0-9])"
)
LONG_NUMBER = re.compile(r"(?<!\d)(\d{11,}|0\d{2,3}[ \-]\d{7,8}|\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?)(?!\d)")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

KINDS = ("mobile", "id_number", "bank_card", "plate", "number")


@dataclass(frozen=True)
class Finding:
    kind: str
    value: str  # normalised: digits (and X) only for numbers; upper case without separators for plates

    @property
    def masked(self) -> str:
        return MASKERS.get(self.kind, mask_digits)(self.value)


MASKERS = {
    "mobile": mask_mobile,
    "id_number": mask_id_number,
    "bank_card": mask_bank_card,
    "plate": mask_plate,
    "number": mask_digits,
}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx").upper()


def id_checksum_ok(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17].upper()


def luhn_ok(value: str) -> bool:
    if not value.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _plausible_15(value: str) -> bool:
    month, day = int(value[8:10]), int(value[10:12])
    return 1 <= month <= 12 and 1 <= day <= 31


def find(text: str) -> list[tuple[int, int, Finding]]:
    """Spans ``(start, end, finding)`` of the numbers in ``text``, in text order, never overlapping."""
    taken: list[tuple[int, int, Finding]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _f in taken)

    def add(start: int, end: int, finding: Finding) -> None:
        if free(start, end):
            taken.append((start, end, finding))

    for m in ID_18.finditer(text):
        value = _digits(m.group(1))
        if len(value) == 18:
            add(m.start(1), m.end(1), Finding("id_number", value))
    for m in CARD.finditer(text):
        value = _digits(m.group(1))
        if 16 <= len(value) <= 19 and luhn_ok(value):
            add(m.start(1), m.end(1), Finding("bank_card", value))
    for m in MOBILE.finditer(text):
        add(m.start(), m.end(), Finding("mobile", _digits(m.group(1))))
    for m in ID_15.finditer(text):
        if _plausible_15(m.group(1)):
            add(m.start(1), m.end(1), Finding("id_number", m.group(1)))
    for m in PLATE.finditer(text):
        plate = re.sub(r"[ ·•・\-]", "", m.group(1)).upper()
        if any(ch.isdigit() for ch in plate):
            add(m.start(1), m.end(1), Finding("plate", plate))
    for m in LONG_NUMBER.finditer(text):
        add(m.start(1), m.end(1), Finding("number", _digits(m.group(1))))
    return sorted(taken, key=lambda t: t[0])


def is_screened(stored: str) -> bool:
    """Has this value been through :func:`screen` with something found (it carries a trailer)?"""
    return bool(stored) and TRAILER.search(stored) is not None


def _split(stored: str) -> tuple[str, str]:
    m = TRAILER.search(stored or "")
    if m is None:
        return stored or "", ""
    return stored[: m.start()], m.group(1)


def _open(sealed: str) -> list[Finding] | None:
    """The findings of a trailer, or ``None`` when it does not open (forged, damaged or an unknown key)."""
    try:
        doc = json.loads(crypto.decrypt(sealed))
        return [Finding(str(item["k"]), str(item["v"])) for item in doc["items"]]
    except (crypto.DecryptionError, ValueError, KeyError, TypeError):
        return None


def screen(text: str) -> str:
    """The value to store for ``text``: numbers replaced by placeholders and sealed in a trailer.
    Idempotent: a value already screened (its trailer opens: AES-GCM authenticates it, so it cannot be
    typed) comes back unchanged; anything else is screened as typed text."""
    if not text:
        return ""
    _body, sealed = _split(text)
    if sealed and _open(sealed) is not None:
        return text
    clean = text.replace("⟦", "【").replace("⟧", "】")
    spans = find(clean)
    if not spans:
        return clean
    parts: list[str] = []
    items: list[dict[str, str]] = []
    last = 0
    for n, (start, end, finding) in enumerate(spans, start=1):
        parts.append(clean[last:start])
        parts.append(f"⟦{n}⟧")
        items.append({"k": finding.kind, "v": finding.value})
        last = end
    parts.append(clean[last:])
    sealed = crypto.encrypt(json.dumps({"v": VERSION, "items": items}, ensure_ascii=False, separators=(",", ":")))
    return "".join(parts) + f"⟦pii {sealed}⟧"


def findings(stored: str) -> list[Finding]:
    """The sealed findings of a screened value (opens the trailer)."""
    _body, sealed = _split(stored)
    if not sealed:
        return []
    return _open(sealed) or []


def _render(stored: str, full: bool) -> str:
    body, sealed = _split(stored)
    if not sealed:
        return body
    found = findings(stored)

    def swap(m: re.Match[str]) -> str:
        index = int(m.group(1)) - 1
        if not 0 <= index < len(found):  # a trailer that does not open: hide rather than fail
            return "***"
        return found[index].value if full else found[index].masked

    return PLACEHOLDER.sub(swap, body)


def masked(stored: str) -> str:
    """The text as every surface shows it: numbers masked."""
    return _render(stored, full=False)


def revealed(stored: str) -> str:
    """The text with the numbers in full. Only after the caller checked the role and logged the reveal."""
    return _render(stored, full=True)


def body_length(stored: str) -> int:
    """Characters of the text as typed-and-screened, without the trailer (for length limits)."""
    return len(_split(stored)[0])


def reseal(stored: str) -> str | None:
    """The value with its trailer sealed under the current key, or ``None`` when nothing needs doing."""
    body, sealed = _split(stored)
    if not sealed:
        return None
    fresh = crypto.reseal(sealed)
    return None if fresh is None else f"{body}⟦pii {fresh}⟧"


# --- a model field for apps that want screening without touching their pages ---------------------------


class ScreenedStr(str):
    """A screened column's value as read from the database: the *masked* text (what ``str`` shows on every
    page, export, feed and API answer), carrying the stored form in ``stored`` so that saving the row again
    keeps the sealed numbers, and a reveal service can open them (``revealed(value.stored)``)."""

    stored: str

    def __new__(cls, stored: str) -> ScreenedStr:
        text = super().__new__(cls, masked(stored))
        text.stored = stored
        return text


def fit(stored: str, max_length: int) -> str:
    """Shorten a screened value's text (never its trailer) so the whole fits ``max_length`` characters."""
    if len(stored) <= max_length:
        return stored
    body, sealed = _split(stored)
    trailer = f"⟦pii {sealed}⟧" if sealed else ""
    room = max(max_length - len(trailer) - 1, 0)
    cut = re.sub(r"⟦\d{0,3}\Z", "", body[:room])  # never half a placeholder
    return f"{cut}…{trailer}"[-max_length:] if room == 0 else f"{cut}…{trailer}"


class ScreenedCharField(models.CharField):
    """A ``CharField`` of free text residents type, screened on the way in and read back masked.

    Writing a plain string screens it (numbers sealed, see the module docstring); reading gives a
    :class:`ScreenedStr` (masked text, stored form attached), so an app's pages, feeds and API show the
    masked text without change, and a row saved again keeps its sealed numbers. ``max_length`` is the
    column's; the typed text should be limited to about half of it (the trailer needs room), and a longer
    value is shortened (:func:`fit`), never refused."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None or not is_screened(value) else ScreenedStr(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        if isinstance(value, ScreenedStr):
            return value.stored
        stored = screen(str(value))
        return fit(stored, self.max_length) if self.max_length else stored
