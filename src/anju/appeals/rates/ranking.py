"""The department ranking: a fair order for rates computed from very different numbers of appeals.

A raw rate puts a department that answered 2 of 3 appeals above one that answered 95 of 100. The ranking
therefore scores each rate by the lower bound of its Wilson score interval (95 %): the rate the department
reaches "at least", given how few appeals it rests on; 2 of 3 scores 0.21, 95 of 100 scores 0.89. A
department's score is the mean of the bounds of the rates that have anything counted, and a department with
fewer than :data:`MIN_SAMPLE` dispatched appeals is listed below the ranked ones, unranked, with its counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

MIN_SAMPLE = 10  # dispatched appeals a department needs before it is ranked
Z = 1.96  # 95 % two-sided

# (numerator, denominator) counters of each of the three rates, as the roll-up names them.
RATE_COUNTS = (("responded", "dispatched"), ("resolved", "completed"), ("satisfied", "ratings"))


def wilson_lower(successes: int, trials: int, *, z: float = Z) -> float | None:
    """The lower bound of the Wilson score interval of ``successes`` out of ``trials``; None for no trials."""
    if trials <= 0:
        return None
    successes = max(0, min(successes, trials))
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


def score(counts: dict[str, int]) -> float | None:
    """The mean Wilson lower bound of the three rates that have a denominator (0–100), None if none has."""
    bounds = [wilson_lower(counts.get(num, 0), counts.get(den, 0)) for num, den in RATE_COUNTS]
    known = [b for b in bounds if b is not None]
    return round(100.0 * sum(known) / len(known), 1) if known else None


def rank(rows: Iterable[Any], *, min_sample: int = MIN_SAMPLE) -> list[Any]:
    """Set ``score`` and ``rank`` on each row and answer them in order: ranked rows by score (best first),
    then the rows below the minimum sample (``rank`` None) by name."""
    ranked: list[Any] = []
    unranked: list[Any] = []
    for row in rows:
        row.score = score(row.counts)
        row.rank = None
        (ranked if row.counts.get("dispatched", 0) >= min_sample and row.score is not None else unranked).append(row)
    ranked.sort(key=lambda r: (-r.score, r.label))
    unranked.sort(key=lambda r: r.label)
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked + unranked
