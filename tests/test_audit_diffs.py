"""Updates record what changed in one shape: ``data={"changed": {"field": [old, new]}}``."""

from __future__ import annotations

from typing import Any

import pytest

from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.orgs import services as org_services
from anju.people import services as people_services
from anju.spaces import services as space_services
from anju.testing.people import PeopleWorld
from anju.testing.spaces import Demo

pytestmark = pytest.mark.django_db


def changed(action: Action) -> Any:
    return AuditEvent.objects.filter(action=action).latest("pk").data


def test_org_unit_update(people_world: PeopleWorld) -> None:
    unit = people_world.tree.grid
    old = unit.name
    org_services.orgunit_update(actor=None, unit=unit, name="新网格", code=unit.code, is_active=True)
    assert changed(Action.ORGUNIT_UPDATED) == {"changed": {"name": [old, "新网格"]}}


def test_tag_update(people_world: PeopleWorld) -> None:
    tag = people_world.tags["老人"]
    people_services.tag_update(actor=None, tag=tag, name="长者", is_active=False)
    assert changed(Action.TAG_UPDATED) == {"changed": {"name": ["老人", "长者"], "is_active": [True, False]}}


def test_household_update(people_world: PeopleWorld) -> None:
    household = people_world.households[0]
    old = household.number
    people_services.household_update(actor=None, household=household, number="A1", is_central=True)
    assert changed(Action.HOUSEHOLD_UPDATED) == {"changed": {"number": [old, "A1"]}}


def test_space_rules(demo: Demo) -> None:
    kitchen = demo.kitchen
    old = kitchen.max_minutes
    assert old != 90
    assert not kitchen.requires_approval
    space_services.space_set_rules(actor=None, space=kitchen, requires_approval=True, max_minutes=90)
    assert changed(Action.SPACE_RULES_CHANGED) == {
        "changed": {"requires_approval": [False, True], "max_minutes": [old, 90]}
    }
