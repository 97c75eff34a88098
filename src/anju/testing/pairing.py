"""Builders of the pairing tests (imported by tests/test_pairing_*.py and benchmarks/): a people world with a
central household carried by the volunteer, and more households in two buildings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anju.access.roles import Role
from anju.pairing import services as pairing
from anju.pairing.models import CentralHousehold
from anju.people import services as people
from anju.people.models import Household, Resident
from anju.testing import make_user
from anju.testing.people import PeopleWorld, make_people_world, person

_serial = iter(range(100, 10**6))


def add_household(unit: Any, door: str, *, name: str = "陈阿姨", party: bool = False) -> Household:
    household = people.household_create(actor=None, unit=unit, door=door)
    people.resident_create(
        actor=None,
        household=household,
        name=name,
        relation="head",
        is_party_member=party,
        **person(next(_serial)),
    )
    return household


@dataclass
class PairingWorld:
    people: PeopleWorld
    central: CentralHousehold  # in building 1, carried by the volunteer
    households: list[Household]  # 3 in building 1, 2 in building 2, unpaired
    other_central: CentralHousehold  # in the other community, carried by ``other_volunteer``
    other_household: Household  # paired with ``other_central``
    users: dict[str, Any]

    @property
    def tree(self) -> Any:
        return self.people.tree


def make_pairing_world() -> PairingWorld:
    pw = make_people_world()
    tree = pw.tree
    volunteer = pw.users["volunteer"]
    central = pairing.central_designate(
        actor=None,
        household=pw.households[0],
        member=pw.residents[0],
        area=tree.area,
        capacity=10,
        carrier=volunteer,
    )
    households = [add_household(tree.building, f"{n}01") for n in range(2, 5)]
    households += [add_household(pw.building2, f"{n}02") for n in range(3, 5)]
    other_volunteer = make_user(Role.VOLUNTEER, tree.other_community)
    other_home = add_household(pw.other_building, "808", name="钱党员", party=True)
    other_member = Resident.objects.get(household=other_home)
    other_central = pairing.central_designate(
        actor=None,
        household=other_home,
        member=other_member,
        area=tree.other_community,
        carrier=other_volunteer,
    )
    pairing.pairing_set(actor=None, household=pw.households[2], central=other_central, reason="test")
    users = dict(pw.users, other_volunteer=other_volunteer, second_volunteer=make_user(Role.VOLUNTEER, tree.area))
    return PairingWorld(pw, central, households, other_central, pw.households[2], users)
