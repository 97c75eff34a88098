"""The suggested assignment (``anju.pairing.assignment``) for one area: 2,000 unpaired households and 150 central
households by default, under the 10 s the issue asks for. Pure Python, no database (the solver takes paths).

    .venv/bin/python benchmarks/pairing_assignment.py [HOUSEHOLDS] [CENTRALS] [BUILDINGS] [GRIDS]

The data (printed before the figures): one area of GRIDS grids (default 12) and BUILDINGS buildings (default 120)
spread round-robin over the grids; households placed in buildings at random (seeded), central households too,
each with 8-16 free places (so places and households are close: some buildings must send households to
other grids). Also a worst case: every household in a building of its own (the tree has one leaf per household).
Each figure is the median of ROUNDS (``ANJU_BENCH_ROUNDS``, 3) runs; the result is checked for capacity.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from anju.pairing.assignment import Slot, suggest

HOUSEHOLDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
CENTRALS = int(sys.argv[2]) if len(sys.argv) > 2 else 150
BUILDINGS = int(sys.argv[3]) if len(sys.argv) > 3 else 120
GRIDS = int(sys.argv[4]) if len(sys.argv) > 4 else 12
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "3"))


def chain(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def world(buildings: int, households: int, centrals: int, seed: int) -> tuple[list[tuple[int, str]], list[Slot]]:
    rng = random.Random(seed)
    paths = [f"/p/c/s/cm/a/g{b % GRIDS}/b{b}/" for b in range(buildings)]
    hs = [(i, rng.choice(paths)) for i in range(households)]
    slots = [Slot(10_000 + j, rng.choice(paths), rng.randint(8, 16)) for j in range(centrals)]
    return hs, slots


def run(label: str, buildings: int) -> None:
    hs, slots = world(buildings, HOUSEHOLDS, CENTRALS, seed=14)
    places = sum(s.free for s in slots)
    print(f"{label}: {len(hs)} households in {len({p for _h, p in hs})} buildings, {len(slots)} central households,")
    print(f"  {places} free places, {GRIDS} grids, one area")
    times = []
    result = None
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        result = suggest(hs, slots, chain)
        times.append(time.perf_counter() - t0)
    assert result is not None
    for s in slots:
        assert sum(1 for c in result.pairs.values() if c == s.central) <= s.free
    assert len(result.pairs) == min(len(hs), places)
    print(
        f"  paired {len(result.pairs)}, left {len(result.unpaired)}, total distance {result.cost}; "
        f"median {statistics.median(times):.3f} s (rounds: {', '.join(f'{t:.3f}' for t in times)})"
    )


if __name__ == "__main__":
    run("typical", BUILDINGS)
    run("worst case, one building per household", HOUSEHOLDS)
