"""The suggested assignment of an area's unpaired households to its central households: provably optimal.

The stated cost
---------------
Existing pairings are kept as they are (they only use up capacity). Among the assignments of the unpaired
households that respect every central household's remaining capacity, the suggestion

1. pairs as many households as possible (``min(unpaired, free places)``), and among those
2. has the least total distance, a pair's distance being the number of steps between the household's
   building and the central household's building in the org tree (same building 0, two buildings of one
   grid 2, buildings of two grids of one area 4, …): same building first, then nearby.

Ties are broken deterministically (older households and central households with more free places first).

Why it is optimal
-----------------
Every pair's distance is a path in the org tree, so the problem is a transport problem on a tree: households
are supplies at their buildings, free places are demands at the central households' buildings, and each
tree edge costs 1 per pair whose path crosses it. Step 1 solves it as a min-cost max-flow on the tree itself
(source → building with supply, tree edges both ways with unlimited capacity and cost 1, central building →
sink with the free places) by successive shortest paths, which is exact for max-flow-then-min-cost. The
graph has one node per org unit (a few hundred), not one per household, so it stays small. Step 2 turns
the per-building amounts into pairs bottom-up (match within a subtree before passing the rest to its parent),
which makes every edge carry exactly |pairs leaving its subtree − places there|, the flow's own amount, so the
pairs cost what the flow costs. ``tests/test_pairing_assignment.py`` checks it against brute force.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

INF = 1 << 60


@dataclass(frozen=True)
class Slot:
    """A central household's remaining places, where it lives (an org-unit path)."""

    central: int
    path: str
    free: int


@dataclass(frozen=True)
class Result:
    pairs: dict[int, int]  # household id → central id
    unpaired: list[int]  # households left without a place
    cost: int


def distance(a: str, b: str, chain: Callable[[str], list[str]]) -> int:
    """Steps between two org units in the tree (``chain(path)`` lists the root-to-unit paths)."""
    ca, cb = chain(a), chain(b)
    common = 0
    for x, y in zip(ca, cb, strict=False):
        if x != y:
            break
        common += 1
    return len(ca) + len(cb) - 2 * common


class _Flow:
    """Min-cost flow by successive shortest paths (Dijkstra with potentials); costs are non-negative."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.graph: list[list[int]] = [[] for _ in range(n)]
        self.to: list[int] = []
        self.cap: list[int] = []
        self.cost: list[int] = []

    def add(self, u: int, v: int, cap: int, cost: int) -> int:
        self.graph[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(cap)
        self.cost.append(cost)
        self.graph[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(0)
        self.cost.append(-cost)
        return len(self.to) - 2

    def run(self, s: int, t: int) -> tuple[int, int]:
        flow = total = 0
        potential = [0] * self.n
        while True:
            dist = [INF] * self.n
            dist[s] = 0
            back = [-1] * self.n
            heap = [(0, s)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                pu = potential[u]
                for e in self.graph[u]:
                    if self.cap[e] <= 0:
                        continue
                    v = self.to[e]
                    nd = d + self.cost[e] + pu - potential[v]
                    if nd < dist[v]:
                        dist[v] = nd
                        back[v] = e
                        heapq.heappush(heap, (nd, v))
            if dist[t] >= INF:
                return flow, total
            for v in range(self.n):
                if dist[v] < INF:
                    potential[v] += dist[v]
            push, v = INF, t
            while v != s:
                e = back[v]
                push = min(push, self.cap[e])
                v = self.to[e ^ 1]
            v = t
            while v != s:
                e = back[v]
                self.cap[e] -= push
                self.cap[e ^ 1] += push
                total += push * self.cost[e]
                v = self.to[e ^ 1]
            flow += push


def suggest(households: Sequence[tuple[int, str]], slots: Sequence[Slot], chain: Callable[[str], list[str]]) -> Result:
    """Pair ``households`` (id, org-unit path; oldest first) with ``slots`` optimally (module docstring)."""
    slots = [s for s in slots if s.free > 0]
    if not households or not slots:
        return Result({}, [h for h, _p in households], 0)
    # The tree: every unit on a chain of a household or a slot.
    nodes: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    for path in {p for _h, p in households} | {s.path for s in slots}:
        above: str | None = None
        for step in chain(path):
            if step not in nodes:
                nodes[step] = len(nodes)
                parent[step] = above
            above = step
    n = len(nodes)
    source, sink = n, n + 1
    flow = _Flow(n + 2)
    for path, idx in nodes.items():
        up = parent[path]
        if up is not None:
            flow.add(idx, nodes[up], INF, 1)
            flow.add(nodes[up], idx, INF, 1)
    supply: dict[str, list[int]] = defaultdict(list)
    for h, path in households:
        supply[path].append(h)
    supply_edge = {path: flow.add(source, nodes[path], len(hs), 0) for path, hs in supply.items()}
    free_at: dict[str, int] = defaultdict(int)
    for s in slots:
        free_at[s.path] += s.free
    demand_edge = {path: flow.add(nodes[path], sink, free, 0) for path, free in free_at.items()}
    # Several roots (paths of unrelated trees) cannot exchange flow; that is right: they share no ancestor.
    _flow, cost = flow.run(source, sink)

    # Step 2: the amounts per building into pairs, bottom-up.
    taken = {path: len(supply[path]) - flow.cap[e] for path, e in supply_edge.items()}
    used = {path: free_at[path] - flow.cap[e] for path, e in demand_edge.items()}
    places: dict[str, list[int]] = {}
    for path in used:
        here = sorted((s for s in slots if s.path == path), key=lambda s: (-s.free, s.central))
        seats: list[int] = []
        left = used[path]
        # Fill the central households of one building in turn, most free places first.
        remaining = {s.central: s.free for s in here}
        while left > 0:
            for s in here:
                if left and remaining[s.central] > 0:
                    seats.append(s.central)
                    remaining[s.central] -= 1
                    left -= 1
        places[path] = seats
    pending_h: dict[str, list[tuple[int, str]]] = defaultdict(list)
    pending_s: dict[str, list[int]] = defaultdict(list)
    for path, count in taken.items():
        pending_h[path] = [(h, path) for h in supply[path][:count]]
    for path, seats in places.items():
        pending_s[path] = list(seats)
    pairs: dict[int, int] = {}
    for path in sorted(nodes, key=lambda p: len(chain(p)), reverse=True):
        hs, ss = pending_h.pop(path, []), pending_s.pop(path, [])
        k = min(len(hs), len(ss))
        for (h, _p), c in zip(hs[:k], ss[:k], strict=True):
            pairs[h] = c
        up = parent[path]
        if up is not None:
            pending_h[up].extend(hs[k:])
            pending_s[up].extend(ss[k:])
    unpaired = [h for h, _p in households if h not in pairs]
    return Result(pairs, unpaired, cost)
