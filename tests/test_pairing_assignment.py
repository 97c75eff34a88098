"""The suggested assignment is optimal for its stated cost (brute force on small areas), never exceeds a
capacity, keeps existing pairs, and the page/API apply all or part of it."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from anju.pairing import assignment, selectors, services
from anju.pairing.models import Pairing
from anju.testing.pairing import add_household, make_pairing_world

# A small org tree: community /c/, two areas, grids, buildings (paths as strings).
UNITS = ["/c/a1/g1/b1/", "/c/a1/g1/b2/", "/c/a1/g2/b3/", "/c/a2/g3/b4/", "/c/a2/g3/b5/"]


def chain(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def brute(households: list[tuple[int, str]], slots: list[assignment.Slot]) -> tuple[int, int]:
    """(most households paired, least total distance) over every assignment within capacity."""
    best = (0, 0)
    options = [None, *range(len(slots))]
    for choice in itertools.product(options, repeat=len(households)):
        used = [0] * len(slots)
        cost = paired = 0
        ok = True
        for (_h, path), s in zip(households, choice, strict=True):
            if s is None:
                continue
            used[s] += 1
            if used[s] > slots[s].free:
                ok = False
                break
            paired += 1
            cost += assignment.distance(path, slots[s].path, chain)
        if ok and (paired > best[0] or (paired == best[0] and cost < best[1])):
            best = (paired, cost)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_the_suggestion_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    households = [(i, rng.choice(UNITS)) for i in range(rng.randint(1, 7))]
    slots = [assignment.Slot(100 + j, rng.choice(UNITS), rng.randint(0, 3)) for j in range(rng.randint(1, 3))]
    result = assignment.suggest(households, slots, chain)
    cost = sum(
        assignment.distance(dict(households)[h], next(s.path for s in slots if s.central == c), chain)
        for h, c in result.pairs.items()
    )
    assert cost == result.cost
    assert (len(result.pairs), result.cost) == brute(households, slots)
    for s in slots:  # capacity never exceeded
        assert sum(1 for c in result.pairs.values() if c == s.central) <= s.free
    assert sorted([*result.pairs, *result.unpaired]) == sorted(h for h, _p in households)


def test_same_building_first_then_nearby() -> None:
    households = [(1, "/c/a1/g1/b1/"), (2, "/c/a1/g1/b2/"), (3, "/c/a2/g3/b4/")]
    slots = [
        assignment.Slot(10, "/c/a1/g1/b1/", 1),
        assignment.Slot(11, "/c/a2/g3/b5/", 1),
        assignment.Slot(12, "/c/a1/g1/b2/", 1),
    ]
    result = assignment.suggest(households, slots, chain)
    assert result.pairs == {1: 10, 2: 12, 3: 11}
    assert result.cost == 2


def test_more_households_than_places_pairs_the_nearest() -> None:
    households = [(1, "/c/a2/g3/b4/"), (2, "/c/a1/g1/b1/")]
    result = assignment.suggest(households, [assignment.Slot(10, "/c/a1/g1/b2/", 1)], chain)
    assert result.pairs == {2: 10}
    assert result.unpaired == [1]


@pytest.mark.django_db
def test_suggestion_keeps_existing_pairs_and_capacity(client_for: Any) -> None:
    world = make_pairing_world()
    tree = world.tree
    central = world.central
    services.central_update(actor=None, central=central, capacity=3, area=tree.area)
    kept = services.pairing_set(actor=None, household=world.households[3], central=central, reason="熟人")
    suggestion = selectors.suggestion_for(tree.area)
    assert suggestion.kept == 1
    assert len(suggestion.moves) == 2  # capacity 3, one place taken
    assert {m.household.unit_id for m in suggestion.moves} == {tree.building.pk}  # same building first
    assert len(suggestion.left) == len(world.households) - 1 - 2 + 1  # + the people world's 王小明
    worker = world.users["community_worker"]
    client = client_for(worker)
    page = client.get(f"/pairing/areas/{tree.area.pk}/suggest/")
    assert page.status_code == 200
    chosen = suggestion.moves[0].household.pk
    response = client.post(f"/pairing/areas/{tree.area.pk}/suggest/", {"household": [chosen]})
    assert response.status_code == 302
    assert Pairing.objects.filter(central=central, ended_at__isnull=True).count() == 2
    kept.refresh_from_db()
    assert kept.ended_at is None
    # The API applies the rest; capacity is never exceeded.
    api = client.post(
        f"/api/v1/pairing/areas/{tree.area.pk}/suggestion",
        {"household_ids": [m.household.pk for m in selectors.suggestion_for(tree.area).moves]},
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert Pairing.objects.filter(central=central, ended_at__isnull=True).count() == 3
    assert api.json()["moves"] == []


@pytest.mark.django_db
def test_new_household_lands_in_the_unpaired_queue() -> None:
    world = make_pairing_world()
    before = selectors.unpaired(world.tree.community).count()
    fresh = add_household(world.tree.building, "909")
    queue = list(selectors.unpaired(world.tree.community))
    assert fresh in queue
    assert len(queue) == before + 1
    assert world.central.household not in queue
