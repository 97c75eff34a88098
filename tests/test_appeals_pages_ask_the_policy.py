"""The appeal pages offer what the declared actions allow: the community queue to whoever may triage,
filing on someone's behalf to whoever may ``appeal.file_for_others`` (an administrator's grant holds
every role, as everywhere else in the policy)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from anju.access import policy
from anju.access.roles import Role
from anju.testing import Tree, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.COMMUNITY_WORKER, "community"),
        (Role.GRID_WORKER, "grid"),
        (Role.ADMIN, "province"),
        (Role.RESIDENT, "building"),
        (Role.VOLUNTEER, "area"),
        (Role.SUPERVISOR, "district"),
    ],
)
def test_queue_tab_and_on_behalf_filing_follow_the_actions(tree: Tree, client_for: Any, role: str, where: str) -> None:
    user = make_user(role, getattr(tree, where))
    client = client_for(user)
    listing = client.get(reverse("appeals:list")).content.decode()
    assert ('href="?view=worker"' in listing) == policy.can(user, "appeal.triage")
    if policy.can(user, "appeal.file"):
        form = client.get(reverse("appeals:new")).context["form"]
        assert ("channel" in form.fields) == policy.can(user, "appeal.file_for_others")
        # The communities offered are those in reach for filing: one's own, never the neighbour.
        offered = set(form.fields["location"].queryset.values_list("community_id", flat=True))
        assert tree.community.pk in offered
        assert tree.other_community.pk not in offered or role == Role.ADMIN


def test_an_administrator_may_triage_and_file_for_others(tree: Tree) -> None:
    admin = make_user(Role.ADMIN, tree.province)
    assert policy.can(admin, "appeal.triage")
    assert policy.can(admin, "appeal.file_for_others")
    assert not policy.can(make_user(Role.RESIDENT, tree.building), "appeal.file_for_others")
