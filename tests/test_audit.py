"""The audit trail: recording, redaction, append-only at every layer, and the audit page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import User
from anju.audit import selectors
from anju.audit.actions import Action
from anju.audit.models import AppendOnlyError, AuditEvent, PiiAccess
from anju.audit.reasons import RevealReason
from anju.audit.services import REDACTED, record, record_pii_access
from anju.orgs import services as org_services
from anju.orgs.models import OrgUnit, UnitKind
from anju.testing import Tree, english_client


def _record(action: Action, **kwargs: Any) -> AuditEvent:
    with transaction.atomic():
        return record(action, **kwargs)


# --- record() -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_raises() -> None:
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        record(Action.SYSTEM_BACKUP)
    assert not AuditEvent.objects.exists()
    with transaction.atomic():
        record(Action.SYSTEM_BACKUP)
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_record_fills_the_row(tree: Tree, user_factory: Callable[..., User]) -> None:
    actor = user_factory(Role.ADMIN, tree.province)
    event = _record(Action.ORGUNIT_UPDATED, actor=actor, obj=tree.grid, data={"name": "新名"})
    event.refresh_from_db()
    assert (event.action, event.actor_id, event.actor_label) == ("orgunit.updated", actor.pk, actor.username)
    assert (event.object_type, event.object_id, event.object_label) == ("orgs.orgunit", str(tree.grid.pk), "第1网格")
    assert event.community_id == tree.community.pk  # taken from the object
    assert _record(Action.ORGUNIT_UPDATED, obj=tree.community).community_id == tree.community.pk
    assert _record(Action.ORGUNIT_UPDATED, obj=tree.street).community_id is None
    with pytest.raises(ValueError, match=r"no\.such_action"):
        _record("no.such_action")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_secrets_are_redacted_at_any_depth() -> None:
    data = {
        "password": "hunter2-secret",
        "token": "tok-123",
        "mobile": "13800000000",
        "id_number": "420102199001011234",
        "new_password": "x",
        "client_secret": "y",
        "name": "王秀英",
        "count": 3,
        "nested": {
            "Mobile": "13900000000",
            "items": [{"api_key": "k", "keep": "visible"}, {"old_password": "p"}],
            "id_number": {"deep": "anything"},
        },
    }
    event = _record(Action.ACCOUNT_UPDATED, data=data)
    event.refresh_from_db()
    assert event.data == {
        "password": REDACTED,
        "token": REDACTED,
        "mobile": REDACTED,
        "id_number": REDACTED,
        "new_password": REDACTED,
        "client_secret": REDACTED,
        "name": "王秀英",
        "count": 3,
        "nested": {
            "Mobile": REDACTED,
            "items": [{"api_key": REDACTED, "keep": "visible"}, {"old_password": REDACTED}],
            "id_number": REDACTED,
        },
    }
    raw = str(AuditEvent.objects.filter(pk=event.pk).values_list("data", flat=True).get())
    for secret in ("hunter2", "tok-123", "13800000000", "13900000000", "420102199001011234"):
        assert secret not in raw


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def event(db: Any) -> AuditEvent:
    return _record(Action.SYSTEM_BACKUP, actor_label="tester", data={"n": 1})


@pytest.fixture
def pii(tree: Tree, user_factory: Callable[..., User]) -> PiiAccess:
    actor = user_factory(Role.COMMUNITY_WORKER, tree.community)
    subject = user_factory(Role.RESIDENT, tree.building)
    why = RevealReason("callback", "电话回访核实情况")
    return record_pii_access(actor=actor, subject=subject, field="mobile", reason=why, community=tree.community)


def _snapshot(row: AuditEvent | PiiAccess) -> dict[str, Any]:
    return type(row).objects.filter(pk=row.pk).values().get()


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["event", "pii"])
def test_orm_refuses_update_and_delete(which: str, request: pytest.FixtureRequest) -> None:
    row = request.getfixturevalue(which)
    model = type(row)
    before = _snapshot(row)
    if which == "event":
        row.action = "x.changed"
    else:
        row.reason = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).update(created_at=timezone.now())
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update([row], ["created_at"])
    assert _snapshot(row) == before
    assert model.objects.count() >= 1


def _raw_statements(table: str, column: str) -> list[str]:
    statements = [
        f"UPDATE {table} SET {column} = 'x'",  # noqa: S608  fixed identifiers, no input
        f"DELETE FROM {table}",  # noqa: S608
    ]
    if connection.vendor == "postgresql":
        statements.append(f"TRUNCATE {table}")
    return statements


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "table", "column"), [("event", "audit_auditevent", "action"), ("pii", "audit_piiaccess", "reason")]
)
def test_database_refuses_raw_update_and_delete(
    which: str, table: str, column: str, request: pytest.FixtureRequest
) -> None:
    row = request.getfixturevalue(which)
    before = _snapshot(row)
    count = type(row).objects.count()
    for sql in _raw_statements(table, column):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        assert _snapshot(row) == before, sql
        assert type(row).objects.count() == count, sql
    # Inserting is still allowed (the triggers only guard changes).
    _record(Action.SYSTEM_BACKUP)


# --- reading: scope and filters ---------------------------------------------------------------


@pytest.fixture
def far_community(tree: Tree) -> OrgUnit:
    """A community under another street, outside a street supervisor's reach."""
    return org_services.orgunit_create(
        actor=None, kind=UnitKind.COMMUNITY, name="赤壁社区", parent=tree.other_department.unit
    )


def test_supervisor_sees_events_of_communities_within_reach(
    tree: Tree, far_community: OrgUnit, user_factory: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    here = _record(Action.SYSTEM_BACKUP, community=tree.community)
    sibling = _record(Action.SYSTEM_BACKUP, community=tree.other_community)
    far = _record(Action.SYSTEM_BACKUP, community=far_community)
    nowhere = _record(Action.SYSTEM_BACKUP)
    mine = {here.pk, sibling.pk, far.pk, nowhere.pk}

    def seen(user: User) -> set[int]:
        return set(selectors.events_visible(user).filter(pk__in=mine).values_list("pk", flat=True))

    street_supervisor = user_factory(Role.SUPERVISOR, tree.street)
    assert seen(street_supervisor) == {here.pk, sibling.pk}
    community_supervisor = user_factory(Role.SUPERVISOR, tree.community)
    assert seen(community_supervisor) == {here.pk}
    root_supervisor = user_factory(Role.SUPERVISOR, tree.province)
    assert seen(root_supervisor) == mine
    # Not a reader of the audit trail at all.
    assert seen(user_factory(Role.COMMUNITY_WORKER, tree.community)) == set()

    response = client_for(street_supervisor).get(reverse("audit:events"), {"action": "system.backup"})
    assert response.status_code == 200
    assert {e.pk for e in response.context["page"].object_list} == {here.pk, sibling.pk}
    response = client_for(root_supervisor).get(reverse("audit:events"), {"action": "system.backup"})
    assert {e.pk for e in response.context["page"].object_list} == mine


def test_audit_page_forbidden_below_supervisor(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    for role, unit in ((Role.COMMUNITY_WORKER, tree.community), (Role.BRANCH_SECRETARY, tree.community)):
        assert client_for(user_factory(role, unit)).get(reverse("audit:events")).status_code == 403


@pytest.fixture
def auditor(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> Client:
    return client_for(user_factory(Role.SUPERVISOR, tree.province))


def _listed(client: Client, params: dict[str, str]) -> tuple[Any, set[int]]:
    response = client.get(reverse("audit:events"), params)
    assert response.status_code == 200
    return response, {e.pk for e in response.context["page"].object_list}


def test_filter_by_action_and_prefix(tree: Tree, auditor: Client) -> None:
    login = _record(Action.ACCOUNT_LOGIN, community=tree.community)
    created = _record(Action.ACCOUNT_CREATED, community=tree.community)
    role = _record(Action.ROLE_GRANTED, community=tree.community)
    backup = _record(Action.SYSTEM_BACKUP)
    mine = {login.pk, created.pk, role.pk, backup.pk}

    _, listed = _listed(auditor, {"action": "account.login"})
    assert listed & mine == {login.pk}
    assert all(e.action == "account.login" for e in AuditEvent.objects.filter(pk__in=listed))
    _, listed = _listed(auditor, {"action": "account"})
    assert listed & mine == {login.pk, created.pk}
    assert all(e.action.startswith("account.") for e in AuditEvent.objects.filter(pk__in=listed))
    _, listed = _listed(auditor, {"action": "role"})
    assert listed & mine == {role.pk}
    assert all(e.action.startswith("role.") for e in AuditEvent.objects.filter(pk__in=listed))
    _, listed = _listed(auditor, {})
    assert mine <= listed
    # An action that is not on the list is a form error, not a crash.
    response, listed = _listed(auditor, {"action": "nonsense"})
    assert response.context["form"].errors["action"]
    assert listed == set()


def test_filter_by_actor_and_community(tree: Tree, auditor: Client) -> None:
    a = _record(Action.SYSTEM_BACKUP, actor_label="zhang.wei", community=tree.community)
    b = _record(Action.SYSTEM_BACKUP, actor_label="li.na", community=tree.other_community)
    _, listed = _listed(auditor, {"action": "system.backup", "actor": "zhang"})
    assert listed == {a.pk}
    _, listed = _listed(auditor, {"action": "system.backup", "community": str(tree.other_community.pk)})
    assert listed == {b.pk}


def test_filter_by_date_range(tree: Tree, auditor: Client) -> None:
    event = _record(Action.SYSTEM_BACKUP, community=tree.community)
    today = timezone.localdate(event.created_at)
    day = timedelta(days=1)

    def listed(since: Any = "", until: Any = "") -> set[int]:
        params = {"action": "system.backup", "since": str(since), "until": str(until)}
        return _listed(auditor, params)[1]

    assert listed(today, today) == {event.pk}
    assert listed(today - day, today + day) == {event.pk}
    assert listed(since=today) == {event.pk}
    assert listed(until=today) == {event.pk}
    assert listed(since=today + day) == set()
    assert listed(until=today - day) == set()
    assert listed(today - 2 * day, today - day) == set()

    response, rows = _listed(auditor, {"since": str(today + day), "until": str(today - day)})
    assert response.context["form"].errors["until"]
    assert rows == set()
    response, rows = _listed(auditor, {"since": "not-a-date"})
    assert response.context["form"].errors["since"]
    assert rows == set()


def test_pii_log_scope(tree: Tree, pii: PiiAccess, user_factory: Callable[..., User], client_for: Any) -> None:
    inside = client_for(user_factory(Role.SUPERVISOR, tree.street)).get(reverse("audit:pii"))
    assert inside.status_code == 200
    assert [r.pk for r in inside.context["page"].object_list] == [pii.pk]
    outside = client_for(user_factory(Role.SUPERVISOR, tree.other_community)).get(reverse("audit:pii"))
    assert outside.status_code == 200
    assert list(outside.context["page"].object_list) == []


# --- readable details ------------------------------------------------------------------------------


def test_audit_page_shows_sentences_not_raw_keys(tree: Tree, user_factory: Callable[..., User]) -> None:
    from django.utils import translation

    from anju.audit import describe

    _record(
        Action.ACTIVITY_REGISTERED,
        community=tree.community,
        data={"session": 3, "status": "confirmed", "on_behalf": False, "reason": ""},
    )
    _record(Action.RESIDENT_EXPORTED, community=tree.community, data={"rows": 12, "unmasked": True, "columns": 14})
    _record(Action.SPACE_RULES_CHANGED, community=tree.community, data={"changed": {"max_minutes": [240, 180]}})
    auditor = english_client(user_factory(Role.SUPERVISOR, tree.province))
    with translation.override("en"):
        page = auditor.get(reverse("audit:events")).content.decode()
        assert "on_behalf" not in page
        assert "False" not in page
        assert "unmasked" not in page
        assert "Registration: a place confirmed." in page
        assert "12 rows exported. Mobile and ID numbers in full" in page
        assert "max minutes: 240 → 180" in page
    with translation.override("zh-hans"):
        assert describe.describe("activity.registered", {"status": "confirmed", "on_behalf": True}) == (
            "报名：已确认名额。由工作人员代为报名。"
        )
        assert describe.field_text("export:mobile,id_number") == "导出：手机号、身份证号"
    # An unknown action and a renderer meeting an older row's shape both fall back to readable words.
    with translation.override("en"):
        assert describe.describe("no.such", {"on_behalf": False}) == "on someone's behalf: no"
        assert describe.describe("appeal.callback", {"level": 2}) == "level: 2"


def test_pii_log_names_the_fields_in_words(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    actor = user_factory(Role.COMMUNITY_WORKER, tree.community)
    subject = user_factory(Role.RESIDENT, tree.building)
    why = RevealReason("callback", "核对")
    with transaction.atomic():
        record_pii_access(
            actor=actor, subject=subject, field="export:mobile,id_number", reason=why, community=tree.community
        )
    page = english_client(user_factory(Role.SUPERVISOR, tree.street)).get(reverse("audit:pii")).content.decode()
    assert "exported: mobile number, ID number" in page
    assert "export:mobile,id_number" not in page


@pytest.mark.parametrize("url", ["/audit/", "/api/v1/audit/events"])
def test_the_trail_counts_up_to_a_bound_in_the_same_queries_scoped_by_community_ids(
    tree: Tree, monkeypatch: Any, url: str
) -> None:
    from django.test.utils import CaptureQueriesContext

    from anju.testing import make_user

    monkeypatch.setattr("anju.core.pagination.COUNT_EXACT_UP_TO", 5)
    supervisor = make_user(Role.SUPERVISOR, tree.street)
    client = english_client(supervisor)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with transaction.atomic():
        for i in range(60):
            record(Action.ORGUNIT_CREATED, actor=None, obj=tree.community, data={"i": i})
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    def without_estimate(captured: CaptureQueriesContext) -> int:  # PostgreSQL's planner estimate past the bound
        return len([q for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith("EXPLAIN")])

    # The short trail is counted from its page (its rows end it); the long one adds its bounded count, no more.
    assert not [q for q in few.captured_queries if "audit_auditevent" in q["sql"] and "COUNT(" in q["sql"]]
    assert without_estimate(many) == without_estimate(few) + 1
    for q in many.captured_queries:
        assert not ("audit_auditevent" in q["sql"] and "LIKE" in q["sql"]), q["sql"]
    if url.startswith("/api/"):
        body = response.json()
        assert body["count_exact"] is False
        assert len(body["results"]) > 0
    else:
        assert 'rel="next"' in response.content.decode()
