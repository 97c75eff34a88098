"""The reference-data stamp: a process keeps a user's grants, reach and filter choices across requests, and drops
them the moment a role grant, an org unit, a department or a category changes, however it was changed.

Another process has no channel to this one but the database: a change made here with raw SQL (no model, no
signal, no cache call) is what this process sees of a change made in another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from anju.access import policy
from anju.access.roles import Role
from anju.accounts.models import RoleGrant, User
from anju.appeals.models import Category
from anju.core import replica, stamp
from anju.orgs.models import Department, OrgUnit, UnitKind
from anju.testing import Tree, english_client, make_user, unit

REFERENCE_TABLES = ("accounts_rolegrant", "orgs_orgunit", "orgs_department", "appeals_category")


def _fresh(user: User) -> User:
    """The user as the next request reads it: nothing remembered on the object."""
    return User.objects.get(pk=user.pk)


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _writes(tree: Tree) -> dict[str, Callable[[], object]]:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    grant = RoleGrant.objects.get(user=worker)
    category = Category.objects.first()
    assert category is not None
    return {
        "grant created": lambda: make_user(Role.VOLUNTEER, tree.area),
        "grant deleted by the ORM": lambda: grant.delete(),
        "grant moved in SQL": lambda: _sql(
            "UPDATE accounts_rolegrant SET unit_id = %s WHERE id = %s", [tree.other_community.pk, grant.pk]
        ),
        "unit created": lambda: unit(UnitKind.GRID, "新网格", tree.community),
        "unit deactivated by a bulk update": lambda: OrgUnit.objects.filter(pk=tree.grid.pk).update(is_active=False),
        "unit renamed in SQL": lambda: _sql("UPDATE orgs_orgunit SET name = %s WHERE id = %s", ["改名", tree.grid.pk]),
        "department deactivated": lambda: Department.objects.filter(pk=tree.department.pk).update(is_active=False),
        "department deleted in SQL": lambda: _sql(
            "DELETE FROM orgs_department WHERE id = %s", [tree.other_department.pk]
        ),
        "category renamed": lambda: Category.objects.filter(pk=category.pk).update(name="改名"),
        "category added in SQL": lambda: _sql(
            'INSERT INTO appeals_category (code, name, "group", description, department_kind, default_urgency,'
            " is_active, sort_order) SELECT 'stamp-test', '新类别', \"group\", '', department_kind,"
            " default_urgency, true, 999 FROM appeals_category WHERE id = %s",
            [category.pk],
        ),
    }


WRITES = [
    "grant created",
    "grant deleted by the ORM",
    "grant moved in SQL",
    "unit created",
    "unit deactivated by a bulk update",
    "unit renamed in SQL",
    "department deactivated",
    "department deleted in SQL",
    "category renamed",
    "category added in SQL",
]


@pytest.mark.parametrize("write", WRITES)
def test_every_write_to_a_reference_table_renews_the_token(tree: Tree, write: str) -> None:
    change = _writes(tree)[write]
    before = stamp.current()
    change()
    assert stamp.current() != before


def test_a_write_elsewhere_keeps_the_token(tree: Tree) -> None:
    before = stamp.current()
    user = make_user()  # an account, no grant
    User.objects.filter(pk=user.pk).update(display_name="改名")
    assert stamp.current() == before


def test_the_tokens_row_is_made_again_after_a_migrate_or_flush_removed_it(tree: Tree) -> None:
    before = stamp.current()
    _sql("DELETE FROM core_stamp", [])
    stamp.ensure()  # what post_migrate (sent after migrate and after a flush) runs
    after = stamp.current()
    assert after
    assert after != before


def test_a_warm_page_reads_no_reference_table_and_the_token_once(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = english_client(worker)
    assert client.get("/appeals/?view=all").status_code == 200  # works the answers out
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/appeals/?view=all").status_code == 200
    sql = [q["sql"] for q in warm.captured_queries]
    assert [s for s in sql if "core_stamp" in s] == ["SELECT token FROM core_stamp WHERE id = 1"]
    assert not [s for s in sql if any(f'FROM "{t}"' in s for t in REFERENCE_TABLES)], sql
    # After a change the same request works them out again, once.
    unit(UnitKind.GRID, "新网格", tree.community)
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/appeals/?view=all").status_code == 200
    assert len(cold.captured_queries) > len(warm.captured_queries)


def test_a_grant_revoked_elsewhere_is_refused_at_the_next_request(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = english_client(worker)
    for _ in range(2):  # the second request is served from the memo
        assert client.get("/appeals/?view=worker").status_code == 200
    _sql("DELETE FROM accounts_rolegrant WHERE user_id = %s", [worker.pk])
    assert client.get("/appeals/?view=worker").status_code == 403  # no grant left carries appeal.view
    assert not policy.can(_fresh(worker), "appeal.triage")


def test_a_community_deactivated_by_a_bulk_update_leaves_reach_at_once(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    ids = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY)
    assert policy.reach_ids(_fresh(worker), ids, action="appeal.view") == [tree.community.pk]
    assert policy.reach_ids(_fresh(worker), ids, action="appeal.view") == [tree.community.pk]  # from the memo
    OrgUnit.objects.filter(pk=tree.community.pk).update(is_active=False)
    assert policy.reach_ids(_fresh(worker), ids, action="appeal.view") == []
    assert policy.grants_of(_fresh(worker)) == ()


def test_the_filters_show_a_grid_and_a_category_changed_in_sql_at_once(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = english_client(worker)
    category = Category.objects.filter(is_active=True).first()
    assert category is not None
    page = client.get("/appeals/?view=all").content.decode()
    assert tree.grid.name in page
    assert category.name in page
    _sql("UPDATE orgs_orgunit SET name = %s WHERE id = %s", ["更名网格", tree.grid.pk])
    _sql("UPDATE appeals_category SET name = %s WHERE id = %s", ["更名类别", category.pk])
    page = client.get("/appeals/?view=all").content.decode()
    assert "更名网格" in page
    assert "更名类别" in page
    assert tree.grid.name not in page


def test_the_filters_follow_an_account_made_superuser(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = english_client(worker)
    assert tree.other_department.name not in client.get("/appeals/?view=all").content.decode()
    User.objects.filter(pk=worker.pk).update(is_superuser=True)  # the account, not a reference table
    client.force_login(_fresh(worker))  # the cached user is dropped by the account's save; here, by signing in
    assert tree.other_department.name in client.get("/appeals/?view=all").content.decode()


def _grant_work_out_and_roll_back(worker: User, tree: Tree) -> None:
    with transaction.atomic():
        RoleGrant.objects.create(user=worker, role=Role.SUPERVISOR, unit=tree.district)
        inside = _fresh(worker)
        assert {g.role for g in policy.grants_of(inside)} == {Role.COMMUNITY_WORKER, Role.SUPERVISOR}
        raise RuntimeError("rolled back")


def test_nothing_worked_out_inside_a_rolled_back_change_is_served_after(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    assert {g.role for g in policy.grants_of(_fresh(worker))} == {Role.COMMUNITY_WORKER}
    with pytest.raises(RuntimeError):
        _grant_work_out_and_roll_back(worker, tree)
    assert {g.role for g in policy.grants_of(_fresh(worker))} == {Role.COMMUNITY_WORKER}


def test_answers_are_worked_out_on_the_primary_inside_a_replica_scope(tree: Tree) -> None:
    worker = _fresh(make_user())
    seen: list[str] = []
    token = replica._scope.set(replica._Scope(alias=replica.REPLICA))
    try:
        stamp.remember(worker, ("test-alias", worker.pk), lambda: seen.append(replica._scope.get().alias))
    finally:
        replica._scope.reset(token)
    assert seen == [replica.DEFAULT]


def test_an_answer_is_kept_per_token_and_worked_out_once(tree: Tree) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    key = ("test-once", tree.community.pk)
    assert stamp.remember(_fresh(make_user()), key, compute) == 1
    assert stamp.remember(_fresh(make_user()), key, compute) == 1
    unit(UnitKind.GRID, "新网格", tree.community)
    assert stamp.remember(_fresh(make_user()), key, compute) == 2
    assert len(calls) == 2


def _drop_triggers(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {table}_stamp ON {table}")
        else:
            for op in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER {table}_stamp_{op}")


def test_every_watched_table_has_its_triggers_and_ensure_puts_back_what_a_rebuild_dropped(tree: Tree) -> None:
    assert set(stamp.watched()) == set(REFERENCE_TABLES)
    assert all(stamp._has_triggers(connection, t) for t in REFERENCE_TABLES)
    # What a migration that rebuilds a table does on SQLite: the old table, and its triggers, are dropped.
    _drop_triggers("appeals_category")
    before = stamp.current()
    Category.objects.filter(is_active=True).update(sort_order=5)
    assert stamp.current() == before  # no trigger: the change would go unseen
    stamp.ensure()  # after every migrate
    assert stamp._has_triggers(connection, "appeals_category")
    Category.objects.filter(is_active=True).update(sort_order=6)
    assert stamp.current() != before


def test_without_the_tokens_row_nothing_is_kept_and_reading_writes_nothing(tree: Tree) -> None:
    _sql("DELETE FROM core_stamp", [])
    assert stamp.current() == ""
    calls: list[int] = []
    for _ in range(2):
        stamp.remember(_fresh(make_user()), ("test-no-row",), lambda: calls.append(1))
    assert len(calls) == 2  # worked out each time
    assert stamp.current() == ""  # and the row is not made by a reader
    stamp.ensure()  # after migrate or a test's flush
    assert stamp.current()


def test_an_answer_worked_out_after_an_uncommitted_change_is_not_kept_under_the_older_token(tree: Tree) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    holder = _fresh(worker)
    stamp.current()
    policy.grants_of(holder)  # the holder now carries the token of before the change
    calls: list[int] = []
    with pytest.raises(RuntimeError), transaction.atomic():
        _add_grant_and_work_out(worker, tree, holder, calls)
    # After the rollback the token is the holder's again: nothing from inside was kept under it.
    assert stamp.remember(holder, ("test-uncommitted", worker.pk), lambda: len(calls) + 1) == 2


def _add_grant_and_work_out(worker: User, tree: Tree, holder: User, calls: list[int]) -> None:
    RoleGrant.objects.create(user=worker, role=Role.SUPERVISOR, unit=tree.district)
    assert stamp.remember(holder, ("test-uncommitted", worker.pk), lambda: calls.append(1) or len(calls)) == 1
    raise RuntimeError("rolled back")


def test_inside_primary_a_related_read_goes_to_the_primary_whatever_the_row_came_from(tree: Tree) -> None:
    from django.db import router

    user = make_user(Role.COMMUNITY_WORKER, tree.community)
    user._state.db = replica.REPLICA  # as if read from the replica
    token = replica._scope.set(replica._Scope(alias=replica.REPLICA))
    try:
        assert router.db_for_read(RoleGrant, instance=user) == replica.REPLICA  # Django follows the row's database
        with replica.primary():
            assert router.db_for_read(RoleGrant, instance=user) == replica.DEFAULT
    finally:
        replica._scope.reset(token)


def test_migrate_and_flush_put_the_row_back_through_post_migrate(tree: Tree) -> None:
    from django.core.management.sql import emit_post_migrate_signal

    _sql("DELETE FROM core_stamp", [])
    _drop_triggers("orgs_department")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # what migrate and flush send
    assert stamp.current()
    assert stamp._has_triggers(connection, "orgs_department")
