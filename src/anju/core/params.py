"""One parser for every integer that arrives from outside: ids, filters, page numbers, pagination.

``int()`` takes values the database cannot hold (``2**64``), and ``str.isdigit()`` / ``isdecimal()``
pass values ``int()`` then refuses (``"²"``) or reads in ways nobody typed on purpose (``"１"``
full-width, ``"٣"`` Arabic-Indic, ``" 1"``, ``"1_000"``). Every integer parameter of a page or of the
API goes through this module instead, so that class of server error cannot come back
(``tests/test_odd_integers.py`` fails on a new ``int(request.…)`` or ``.isdecimal()`` elsewhere).

The rules, the same everywhere:

- An integer is ASCII digits, optionally after one ``-``; nothing else (no spaces, ``+``,
  underscores, exponents or other scripts' digits).
- It fits the 64-bit signed range that PostgreSQL ``bigint`` and SQLite ``INTEGER`` hold; an id is
  ``1 … 2**63 - 1``.
- On HTML pages a filter or page value that is not one is ignored (the filter is not applied, the
  first page is shown): a hand-edited link still opens the page.
- The API declares the same bounds as types (:data:`Id`, :data:`OptionalId`, and the pagination in
  ``core/api.py``): a value out of range answers 422 with the shared error body, in the caller's
  language, and the OpenAPI schema documents the bounds.
- Offsets are not clamped: the API accepts ``0 … 2**63 - 1`` and answers an empty page past the
  end without sending the offset to the database (see ``core.api.Pagination``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

MAX_INT = 2**63 - 1
MIN_INT = -(2**63)

_INTEGER = re.compile(r"-?[0-9]+")

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
"""A path, query or body id: a whole number the database can hold, above zero."""

OptionalId = Annotated[int | None, Field(ge=1, le=MAX_INT)]


def parse_int(raw: object, *, minimum: int = MIN_INT, maximum: int = MAX_INT) -> int | None:
    """``raw`` as an integer within ``minimum … maximum``, else ``None``.

    Accepts an ``int`` (not ``bool``) or a string of ASCII digits with an optional leading ``-``.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and len(raw) <= 20 and _INTEGER.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if minimum <= value <= maximum else None


def parse_id(raw: object) -> int | None:
    """An object id (``1 … 2**63 - 1``), else ``None``."""
    return parse_int(raw, minimum=1)


def parse_positive(raw: object, *, maximum: int = MAX_INT) -> int | None:
    """A count or page number (``1 … maximum``), else ``None``."""
    return parse_int(raw, minimum=1, maximum=maximum)


def parse_ids(values: object) -> list[int]:
    """The valid ids among ``values`` (a list of strings, or one comma-separated string); the rest dropped."""
    items = values.split(",") if isinstance(values, str) else values
    if not isinstance(items, list | tuple):
        return []
    return [i for i in (parse_id(v) for v in items) if i is not None]
