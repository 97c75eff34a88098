"""A staff member's own appeals outside her communities (filed, asked for or followed) stay in "all I can see",
matched by their ids, so the list's filter of the usual worker is only her communities' key."""

from __future__ import annotations

import pytest

from anju.access.roles import Role
from anju.appeals import selectors
from anju.appeals.models import Appeal, AppealFollower
from anju.testing import make_user
from anju.testing.appeals import AppealsWorld


def _elsewhere(world: AppealsWorld) -> Appeal:
    """An appeal of a resident of the other community."""
    there = make_user(Role.RESIDENT, world.tree.other_grid)
    return world.file(actor=there, community=world.tree.other_community, location=world.tree.other_grid)


def test_a_worker_sees_her_own_appeals_elsewhere_and_no_one_elses(world: AppealsWorld) -> None:
    asked, filed, followed, stranger = (_elsewhere(world) for _ in range(4))
    Appeal.objects.filter(pk=asked.pk).update(requester=world.worker)
    Appeal.objects.filter(pk=filed.pk).update(filed_by=world.worker)
    AppealFollower.objects.create(appeal=followed, user=world.worker, community=followed.community)
    mine_here = world.file()
    visible = set(selectors.appeals_visible(world.worker).values_list("pk", flat=True))
    assert {asked.pk, filed.pk, followed.pk, mine_here.pk} <= visible
    assert stranger.pk not in visible


def test_with_nothing_beyond_her_communities_the_filter_is_their_key_alone(world: AppealsWorld) -> None:
    Appeal.objects.filter(pk=world.file().pk).update(filed_by=world.worker)  # filed in her own community
    sql = str(selectors.appeals_visible(world.worker).query)
    assert '"community_id" IN' in sql
    assert "requester_id" not in sql.split("WHERE", 1)[1]
    assert "filed_by_id" not in sql.split("WHERE", 1)[1]


def test_past_the_bound_her_own_appeals_are_matched_by_their_keys(
    world: AppealsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "OWN_BY_IDS", 1)
    asked, filed, stranger = (_elsewhere(world) for _ in range(3))
    Appeal.objects.filter(pk=asked.pk).update(requester=world.worker)
    Appeal.objects.filter(pk=filed.pk).update(filed_by=world.worker)
    qs = selectors.appeals_visible(world.worker)
    assert "filed_by_id" in str(qs.query).split("WHERE", 1)[1]
    visible = set(qs.values_list("pk", flat=True))
    assert {asked.pk, filed.pk} <= visible
    assert stranger.pk not in visible


def test_a_liaison_sees_her_departments_appeals_and_her_own(world: AppealsWorld) -> None:
    own = _elsewhere(world)
    Appeal.objects.filter(pk=own.pk).update(requester=world.other_liaison)
    visible = set(selectors.appeals_visible(world.other_liaison).values_list("pk", flat=True))
    assert own.pk in visible
    assert world.file().pk not in visible
