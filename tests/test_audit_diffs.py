"""Updates record what changed in one shape: ``data={"changed": {"field": [old, new]}}``."""

from __future__ import annotations

from typing import Any

import pytest

from anju.appeals import privacy
from anju.appeals.config import services as config_services
from anju.appeals.dispatch import services as dispatch_services
from anju.appeals.models import Publication, Status
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.orgs import services as org_services
from anju.people import services as people_services
from anju.spaces import services as space_services
from anju.testing.appeals import AppealsWorld
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


# --- appeals -------------------------------------------------------------------------------------


def test_appeal_step_records_the_status_change(world: AppealsWorld) -> None:
    appeal = world.file()
    dispatch_services.appeal_accept(actor=world.worker, appeal=appeal)
    data = changed(Action.APPEAL_TRANSITION)
    assert data["step"] == "accept"
    assert data["changed"] == {"status": [Status.RECEIVED, Status.ACCEPTED]}


def test_appeal_route_set(world: AppealsWorld) -> None:
    tree = world.tree
    config_services.route_set(actor=world.admin, unit=tree.grid, category=world.category, department=tree.department)
    assert changed(Action.APPEAL_ROUTE_SET)["changed"] == {"department": [None, tree.department.pk]}
    own = org_services.department_create(actor=None, name="黄州区住建局", kind=tree.department.kind, unit=tree.district)
    config_services.route_set(actor=world.admin, unit=tree.grid, category=world.category, department=own)
    assert changed(Action.APPEAL_ROUTE_SET)["changed"] == {"department": [tree.department.pk, own.pk]}


def test_appeal_publication_set(world: AppealsWorld) -> None:
    community = world.tree.community
    privacy.publication_set(actor=world.admin, community=community, level=Publication.Level.BASIC, area=True)
    assert changed(Action.APPEAL_PUBLICATION_SET)["changed"] == {
        "level": [Publication.Level.OFF, Publication.Level.BASIC],
        "area": [False, True],
    }


def test_appeal_category_update_leaves_the_description_out(world: AppealsWorld) -> None:
    category = world.category
    old = category.name
    config_services.category_update(
        actor=world.admin,
        category=category,
        code=category.code,
        name="路灯",
        group=category.group,
        description="新的说明",
        department_kind=category.department_kind,
        default_urgency=category.default_urgency,
        sort_order=category.sort_order,
    )
    assert changed(Action.APPEAL_CATEGORY_UPDATED) == {"changed": {"name": [old, "路灯"]}}
