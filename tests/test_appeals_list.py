"""The appeal list a worker lives in: search, filters kept in the URL, deadline states (overdue vs due soon),
the Excel export of exactly what is filtered, bulk steps through the step table, and a query count that
does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from anju.appeals import selectors
from anju.appeals.models import Appeal, AppealEvent, AppealFollower, Status, Urgency
from anju.audit.models import AuditEvent
from anju.core import pagination
from anju.core.pagination import order_keys
from anju.inbox.models import Message
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def due_in(appeal: Appeal, delta: dt.timedelta) -> Appeal:
    """Move an appeal's next deadline (the SLA clock is tested elsewhere)."""
    Appeal.objects.filter(pk=appeal.pk).update(due_at=timezone.now() + delta)
    appeal.refresh_from_db()
    return appeal


def numbers(html: str, appeals: list[Appeal]) -> set[str]:
    return {a.number for a in appeals if f'data-number="{a.number}"' in html}


def test_search_by_number_text_address_and_requester(world: AppealsWorld) -> None:
    lamp = world.file(description="楼下路灯不亮", address="3号楼东门")
    water = world.file(description="水管漏水", address="菜市场", actor=world.other_resident)
    on_behalf = world.file(
        actor=world.worker,
        description="垃圾没人清",
        channel="phone",
        contact_name="王小明",
        contact_mobile="13912345678",
        consent=True,
    )
    every = [lamp, water, on_behalf]
    client = english_client(world.worker)

    def found(q: str) -> set[str]:
        return numbers(client.get("/appeals/", {"view": "all", "q": q}).content.decode(), every)

    assert found(lamp.number) == {lamp.number}
    assert found(str(water.pk)) >= {water.number}
    assert found("漏水") == {water.number}
    assert found("东门") == {lamp.number}
    assert found("139 1234 5678") == {on_behalf.number}  # the whole number, through its keyed hash
    assert found("王小明") == set()  # a sealed name is not searched
    page = client.get("/appeals/", {"view": "all", "q": "13912345678"}).content.decode()
    assert "王*明" in page
    assert "139****5678" in page
    assert "王小明" not in page
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "13912345678" not in rows  # (the search box and the links keep what the worker typed)


def test_a_resident_cannot_find_others_by_their_number(world: AppealsWorld) -> None:
    mine = world.file()
    theirs = world.file(actor=world.other_resident)
    page = english_client(world.resident).get("/appeals/", {"view": "all", "q": "17000000011"}).content.decode()
    assert numbers(page, [mine, theirs]) == set()  # residents get no requester search at all
    assert "data-requester" not in english_client(world.resident).get("/appeals/?view=all").content.decode()


def test_filters_combine_and_stay_in_the_url(world: AppealsWorld) -> None:
    overdue = due_in(world.file(urgency=Urgency.URGENT), -dt.timedelta(days=89))
    soon = due_in(world.file(), dt.timedelta(hours=5))
    later = due_in(world.file(), dt.timedelta(days=3))
    dispatched = due_in(world.to_status(world.file(), Status.DISPATCHED), dt.timedelta(days=10))
    every = [overdue, soon, later, dispatched]
    client = english_client(world.worker)

    def found(**params: Any) -> set[str]:
        return numbers(client.get("/appeals/", {"view": "all", **params}).content.decode(), every)

    assert found(deadline="overdue") == {overdue.number}
    assert found(deadline="soon") == {soon.number}  # an overdue appeal is never "due soon"
    assert overdue.number not in found(deadline="on_time")
    assert found(urgency="urgent") == {overdue.number}
    assert found(status="dispatched") == {dispatched.number}
    assert found(department=str(world.tree.department.pk)) == {dispatched.number}
    assert found(category=str(world.category.pk)) == {a.number for a in every}
    today = timezone.localdate()
    assert found(start=str(today), end=str(today)) == {a.number for a in every}
    assert found(start=str(today + dt.timedelta(days=1))) == set()
    # A hand-edited value is ignored and said next to its field; the page still opens.
    response = client.get("/appeals/", {"view": "all", "status": "nonsense", "start": "2026-13-01", "grid": "2**64"})
    assert response.status_code == 200
    assert numbers(response.content.decode(), every) == {a.number for a in every}
    assert "has-error" in response.content.decode()
    # The page links keep the filters: pagination and export carry the same query.
    page = client.get("/appeals/", {"view": "all", "deadline": "overdue"}).content.decode()
    assert "/appeals/export/?view=all&amp;deadline=overdue" in page
    assert 'value="overdue" selected' in page


def test_the_filtered_list_takes_the_same_queries_for_3_rows_and_for_12(world: AppealsWorld) -> None:
    client = english_client(world.worker)
    params = {"view": "worker", "q": "路灯", "category": str(world.category.pk), "deadline": ""}
    for _ in range(3):
        world.file(actor=world.worker, channel="phone", contact_name="李四", contact_mobile="13800000001", consent=True)
    client.get("/appeals/", params)  # warm the session and the policy caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/appeals/", params).status_code == 200
    for _ in range(9):
        world.to_status(world.file(), Status.DISPATCHED)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/appeals/", params).content.decode()
    assert page.count("data-number=") == 12
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


def read_export(client: Any, params: dict[str, str]) -> list[list[Any]]:
    response = client.get("/appeals/export/", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_the_export_equals_the_filtered_rows_across_pages(world: AppealsWorld) -> None:
    every = [world.file() for _ in range(27)]  # more than a page (25)
    for a in every[:4]:
        due_in(a, -dt.timedelta(days=2))
    client = english_client(world.worker)
    for params in ({"view": "all"}, {"view": "all", "deadline": "overdue"}, {"view": "worker", "q": "路灯"}):
        listed: list[str] = []
        page_no = 1
        while True:
            html = client.get("/appeals/", {**params, "page": str(page_no)}).content.decode()
            listed += [
                a.number
                for a in sorted(every, key=lambda a: html.find(f'data-number="{a.number}"'))
                if f'data-number="{a.number}"' in html
            ]
            if 'rel="next"' not in html:
                break
            page_no += 1
        rows = read_export(client, params)
        assert rows[0][0] == "Number"
        assert [r[0] for r in rows[1:]] == listed  # the same rows, in the same order
    assert len(read_export(client, {"view": "all", "deadline": "overdue"})) == 1 + 4


def test_the_export_masks_as_the_page_and_is_audited(world: AppealsWorld) -> None:
    world.file(
        actor=world.worker,
        description="电话 13512345678 联系我",
        channel="phone",
        contact_name="王小明",
        contact_mobile="13912345678",
        consent=True,
    )
    client = english_client(world.worker)
    rows = read_export(client, {"view": "all"})
    text = repr(rows)
    assert "王*明" in text
    assert "139****5678" in text
    assert "王小明" not in text
    assert "13912345678" not in text
    assert "13512345678" not in text
    event = AuditEvent.objects.get(action="appeal.exported")
    assert event.actor == world.worker
    assert event.data["rows"] == 1
    assert event.data["filters"]["view"] == "all"
    assert english_client(world.resident).get("/appeals/export/").status_code == 403


def test_bulk_accept_confirms_first_then_takes_each_step_and_says_what_was_refused(world: AppealsWorld) -> None:
    fresh = [world.file() for _ in range(2)]
    taken = world.to_status(world.file(), Status.ACCEPTED)
    client = english_client(world.worker)
    ids = [str(a.pk) for a in [*fresh, taken]]
    confirm = client.post("/appeals/bulk/", {"step": "accept", "ids": ids, "back": "?view=worker"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert all(a.number in html for a in [*fresh, taken])
    assert Appeal.objects.filter(status=Status.ACCEPTED).count() == 1  # nothing happened yet
    done = client.post("/appeals/bulk/", {"step": "accept", "ids": ids, "confirm": "1", "back": "?view=worker"})
    html = done.content.decode()
    assert "2 appeals done." in html
    assert "1 refused." in html
    assert "it cannot be accepted now" in html
    assert all(Appeal.objects.get(pk=a.pk).status == Status.ACCEPTED for a in fresh)
    # One audit row and one timeline step per appeal, as on the appeal's own page.
    steps = AuditEvent.objects.filter(action="appeal.transition", data__step="accept")
    assert {int(e.object_id) for e in steps} >= {a.pk for a in fresh}
    assert AppealEvent.objects.filter(action="accept", appeal__in=fresh).count() == 2


def test_bulk_dispatch_and_remind_notify_the_department(world: AppealsWorld) -> None:
    a, b = world.file(), world.file()
    client = english_client(world.worker)
    page = client.post("/appeals/bulk/", {"step": "dispatch", "ids": [a.pk, b.pk]}).content.decode()
    assert world.tree.department.name in page  # the department picker of the confirmation
    client.post(
        "/appeals/bulk/",
        {"step": "dispatch", "ids": [a.pk, b.pk], "confirm": "1", "department": str(world.tree.department.pk)},
    )
    assert set(Appeal.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {Status.DISPATCHED}
    before = Message.objects.filter(recipient=world.liaison).count()
    html = client.post(
        "/appeals/bulk/", {"step": "remind", "ids": [a.pk, b.pk], "confirm": "1", "note": "请尽快处理"}
    ).content.decode()
    assert "2 appeals done." in html
    assert Message.objects.filter(recipient=world.liaison).count() == before + 2
    assert Message.objects.filter(recipient=world.liaison, kind="appeal.reminded").count() == 2
    event = AppealEvent.objects.get(appeal=a, action="remind")
    assert not event.public
    assert event.note == "请尽快处理"


def test_bulk_refuses_what_is_not_the_workers(world: AppealsWorld) -> None:
    a = world.file()
    assert english_client(world.liaison).post("/appeals/bulk/", {"step": "accept", "ids": [a.pk]}).status_code == 403
    client = english_client(world.worker)
    assert client.post("/appeals/bulk/", {"step": "accept"}).status_code == 422
    assert client.post("/appeals/bulk/", {"step": "explode", "ids": [a.pk]}).status_code == 422
    assert Appeal.objects.get(pk=a.pk).status == Status.RECEIVED


def test_the_home_card_counts_overdue_and_due_soon_apart(world: AppealsWorld) -> None:
    for delta in (-dt.timedelta(days=89), -dt.timedelta(hours=1), dt.timedelta(hours=3), dt.timedelta(days=5)):
        due_in(world.file(), delta)
    page = english_client(world.worker).get("/").content.decode()
    overdue = page.split('data-deadline-count="overdue"', 1)[1].split("</a>", 1)[0]
    soon = page.split('data-deadline-count="soon"', 1)[1].split("</a>", 1)[0]
    assert overdue.endswith("Overdue 2")
    assert soon.endswith("Due soon 1")  # months overdue is never "due soon"
    assert "89 days overdue" in page
    assert "/appeals/?view=worker&amp;deadline=overdue" in page or "/appeals/?view=worker&deadline=overdue" in page


# --- at city scale: the cost follows the page, not the data -------------------------------------------


def appeal_sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if 'FROM "appeals_appeal"' in q["sql"]]


def without_estimate(captured: CaptureQueriesContext) -> int:
    """The queries past the bound, less the one planner estimate PostgreSQL may add (``EXPLAIN``, nothing read)."""
    explains = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("EXPLAIN")]
    assert len(explains) <= (1 if connection.vendor == "postgresql" else 0)
    return len(captured.captured_queries) - len(explains)


@pytest.mark.parametrize("view", ["worker", "all"])
def test_a_large_list_counts_up_to_a_bound_and_pages_on_in_the_same_queries(
    world: AppealsWorld, monkeypatch: Any, view: str
) -> None:
    monkeypatch.setattr("anju.core.pagination.COUNT_EXACT_UP_TO", 5)
    client = english_client(world.worker)
    for _ in range(3):
        world.file()
    client.get("/appeals/", {"view": view})  # warm the session and the policy caches
    with CaptureQueriesContext(connection) as few:
        page = client.get("/appeals/", {"view": view}).content.decode()
    assert "3 appeals" in page
    assert "data-estimated" not in page
    for _ in range(30):
        world.file()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/appeals/", {"view": view}).content.decode()
    # The short list is counted from its page (its ids end it); the long one adds its bounded count, nothing more.
    assert not [sql for sql in appeal_sql(few) if "COUNT(" in sql]
    assert without_estimate(many) == len(few.captured_queries) + 1, [q["sql"] for q in many.captured_queries]
    assert "data-estimated" in page  # "More than 5 appeals", or the planner's estimate on PostgreSQL
    assert ("More than 5 appeals" in page) or ("(estimated)" in page)
    assert page.count("data-number=") == 25
    assert 'rel="next"' in page
    assert "Page 1<" in page
    # Reach by community ids (an indexed key), never a path pattern through a join nor pk IN (every appeal).
    for sql in appeal_sql(many):
        assert "LIKE" not in sql, sql
        assert '"appeals_appeal"."id" IN (SELECT' not in sql, sql
    second = client.get("/appeals/", {"view": view, "page": "2"}).content.decode()
    assert second.count("data-number=") == 8
    assert 'rel="next"' not in second
    assert 'rel="prev"' in second


def test_all_i_can_see_of_a_resident_is_the_union_of_her_own_ids(world: AppealsWorld, client_for: Any) -> None:
    mine = world.file(actor=world.resident)
    theirs = world.file(actor=world.other_resident)
    client = english_client(world.resident)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/appeals/", {"view": "all"}).content.decode()
    assert numbers(page, [mine, theirs]) == {mine.number}
    for sql in appeal_sql(captured):  # her own ids: a UNION of three small index scans, not a scan of every appeal
        assert '"appeals_appeal"."id" IN (SELECT' not in sql or "UNION" in sql, sql


def test_the_api_list_counts_up_to_a_bound_in_the_same_queries(world: AppealsWorld, monkeypatch: Any) -> None:
    monkeypatch.setattr("anju.core.pagination.COUNT_EXACT_UP_TO", 5)
    client = english_client(world.worker)
    for _ in range(3):
        world.file()
    client.get("/api/v1/appeals")
    with CaptureQueriesContext(connection) as few:
        body = client.get("/api/v1/appeals", {"limit": 2}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (3, True, 2)
    for _ in range(10):
        world.file()
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/appeals", {"limit": 2}).json()
    assert without_estimate(many) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]
    assert body["count_exact"] is False
    assert body["count"] >= 5
    assert len(body["results"]) == 2
    assert len(client.get("/api/v1/appeals", {"limit": 2, "offset": 12}).json()["results"]) == 1


# --- the scoping by community ids answers what the path pattern answered, for every role ------------------------


def _old_visible(user: Any) -> set[int]:
    """ "All I can see" as it was computed before city scale: a path pattern through the community join, and
    ``pk IN (…)`` over the appeals with their assists and followers joined (the semantics to keep)."""
    from anju.access import policy
    from anju.access.roles import STAFF_ROLES, Role
    from anju.appeals.policies import liaison_departments

    if policy.is_superuser(user):
        return set(Appeal.objects.values_list("pk", flat=True))
    q = policy.reach_q(user, "community__path", roles={*STAFF_ROLES, Role.SUPERVISOR}, upward=True)
    depts = liaison_departments(user)
    if depts:
        q |= Q(department_id__in=depts) | Q(assists__department_id__in=depts)
    if user.is_authenticated:
        q |= Q(requester=user) | Q(filed_by=user) | Q(followers__user=user)
    return set(Appeal.objects.filter(q).values_list("pk", flat=True))


def _old_queues(user: Any) -> dict[str, set[int]]:
    from anju.access import policy
    from anju.access.roles import STAFF_ROLES
    from anju.appeals.models import OPEN_STATUSES
    from anju.appeals.policies import liaison_departments

    staff = policy.reach_q(user, "community__path", roles=set(STAFF_ROLES), upward=True)
    depts = liaison_departments(user)
    opened = Q(status__in=OPEN_STATUSES)
    mine = Q(requester=user) | Q(filed_by=user) | Q(followers__user=user)
    return {
        "worker": set(Appeal.objects.filter(staff & opened).values_list("pk", flat=True)),
        "department": set(
            Appeal.objects.filter(
                (Q(department_id__in=depts) | Q(assists__department_id__in=depts)) & opened
            ).values_list("pk", flat=True)
        ),
        "mine": set(Appeal.objects.filter(mine).values_list("pk", flat=True)),
    }


def test_lists_scoped_by_community_ids_show_what_the_path_pattern_showed_for_every_role(
    world: AppealsWorld,
) -> None:
    """A mixed world: two communities of one street and one of another street, appeals in every one, open and
    closed, dispatched with an assisting department, filed by a worker for a resident, followed across
    communities; users of every role, a grant above and below community level, two grants at once. Every list
    (all I can see, the worker's and the department's queues, mine; the page and the API) holds exactly the rows
    the old path-pattern scoping held, in the list's order."""
    from anju.access.roles import Role
    from anju.accounts import services as account_services
    from anju.appeals import selectors
    from anju.appeals.dispatch import services as dispatch
    from anju.orgs.models import UnitKind
    from anju.testing import make_user, unit
    from anju.testing.appeals import follow

    tree = world.tree
    far_street = unit(UnitKind.STREET, "远街道", tree.district)
    far = unit(UnitKind.COMMUNITY, "远社区", far_street)
    far_grid = unit(UnitKind.GRID, "远网格", far)
    other_dept = world.other_liaison.grants.get().department
    far_worker = make_user(Role.COMMUNITY_WORKER, far)
    other_worker = make_user(Role.COMMUNITY_WORKER, tree.other_community)
    street_supervisor = make_user(Role.SUPERVISOR, tree.street)
    other_gridworker = make_user(Role.GRID_WORKER, tree.other_grid)
    two_hats = make_user(Role.DEPARTMENT_LIAISON, tree.street, department=other_dept)
    account_services.role_grant(actor=None, user=two_hats, role=Role.COMMUNITY_WORKER, unit=tree.other_community)

    on_behalf: dict[str, Any] = {"contact_name": "李四", "contact_mobile": "17000000066", "consent": True}
    here = [world.file() for _ in range(3)]
    world.to_status(here[0], "dispatched")
    dispatch.appeal_dispatch(
        actor=world.worker,
        appeal=world.to_status(here[1], "accepted"),
        department=tree.department,
        assisting=[other_dept],
    )
    world.to_status(here[2], "verified")
    by_worker = world.file(
        actor=world.worker,
        requester=world.other_resident,
        contact_name="李四",
        contact_mobile="17000000066",
        consent=True,
    )
    there = world.file(actor=other_worker, community=tree.other_community, location=tree.other_grid, **on_behalf)
    yonder = world.file(actor=far_worker, community=far, location=far_grid, **on_behalf)
    anonymous = world.file(actor=None, channel="anonymous", contact_name="王大妈", contact_mobile="17000000055")
    follow(world.other_resident, here[0])
    # Followers from elsewhere (one who moved away, a worker following as a resident): rows, not offers.
    AppealFollower.objects.create(appeal=there, community=there.community, user=world.resident)
    AppealFollower.objects.create(appeal=yonder, community=yonder.community, user=two_hats)
    assert {by_worker.pk, anonymous.pk, yonder.pk}  # filed in three ways

    users = [
        world.resident,
        world.other_resident,
        world.worker,
        world.gridworker,
        world.volunteer,
        world.liaison,
        world.other_liaison,
        world.supervisor,
        world.admin,
        far_worker,
        other_worker,
        street_supervisor,
        other_gridworker,
        two_hats,
    ]
    for user in users:
        expected = _old_visible(type(user).objects.get(pk=user.pk))  # fresh objects: nothing remembered
        got = selectors.appeals_visible(type(user).objects.get(pk=user.pk))
        assert set(got.values_list("pk", flat=True)) == expected, user.username
        assert got.count() == len(expected), user.username  # no row twice
        old = _old_queues(type(user).objects.get(pk=user.pk))
        fresh = type(user).objects.get(pk=user.pk)
        assert set(selectors.worker_queue(fresh).values_list("pk", flat=True)) == old["worker"], user.username
        assert set(selectors.department_queue(fresh).values_list("pk", flat=True)) == old["department"], user.username
        assert set(selectors.my_appeals(fresh).values_list("pk", flat=True)) == old["mine"], user.username
        client = english_client(user)
        api = client.get("/api/v1/appeals", {"limit": 100})
        if api.status_code == 200:
            body = api.json()
            assert [r["id"] for r in body["results"]] == list(
                Appeal.objects.filter(pk__in=expected).order_by("-received_at", "-id").values_list("pk", flat=True)
            ), user.username
            assert (body["count"], body["count_exact"]) == (len(expected), True)
        page = client.get("/appeals/", {"view": "all"})
        if page.status_code == 200:
            shown = {a.pk for a in Appeal.objects.all() if f'data-number="{a.number}"' in page.content.decode()}
            assert shown == expected, user.username


def test_a_number_as_shown_finds_that_appeal_by_its_key_without_reading_the_text(world: AppealsWorld) -> None:
    from anju.appeals.selectors import search_q

    lamp = world.file(description="路灯不亮")
    decoy = world.file(description=f"同 {lamp.number} 一样")  # the number in another appeal's text is not a match
    assert set(Appeal.objects.filter(search_q(lamp.number, insider=True))) == {lamp}
    assert decoy.pk != lamp.pk
    assert "LIKE" not in str(Appeal.objects.filter(search_q(lamp.number, insider=True)).query)
    assert lamp in Appeal.objects.filter(search_q(str(lamp.pk), insider=True))


# --- keyset pagination: a cursor instead of an offset --------------------------------------------------------


def test_the_api_list_pages_by_cursor_as_it_does_by_offset(world: AppealsWorld) -> None:
    filed = [world.file() for _ in range(7)]
    # Three filed in the same instant: the id breaks the tie, so no row is skipped or read twice.
    Appeal.objects.filter(pk__in=[a.pk for a in filed[2:5]]).update(received_at=filed[2].received_at)
    expected = list(
        selectors.appeals_visible(world.worker).order_by("-received_at", "-id").values_list("pk", flat=True)
    )
    client = english_client(world.worker)
    by_offset = []
    for offset in range(0, len(expected) + 2, 2):
        by_offset += [r["id"] for r in client.get("/api/v1/appeals", {"limit": 2, "offset": offset}).json()["results"]]
    first = client.get("/api/v1/appeals", {"limit": 2})
    with CaptureQueriesContext(connection) as first_page:
        body = client.get("/api/v1/appeals", {"limit": 2}).json()
    by_cursor = [r["id"] for r in body["results"]]
    cursor_pages = []
    while body["next_cursor"]:
        with CaptureQueriesContext(connection) as page:
            body = client.get("/api/v1/appeals", {"limit": 2, "cursor": body["next_cursor"]}).json()
        cursor_pages.append(len(page.captured_queries))
        by_cursor += [r["id"] for r in body["results"]]
        assert (body["count"], body["count_exact"]) == (len(expected), True)
    assert first.status_code == 200
    assert by_cursor == by_offset == expected
    assert len(cursor_pages) == 3  # 7 rows, 2 a page: pages 2, 3 and 4; the last says there is no next
    assert set(cursor_pages) == {len(first_page.captured_queries)}  # a cursor page costs what the first does
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/appeals", {"limit": 2, "cursor": first.json()["next_cursor"], "offset": 1000})
    assert not [q["sql"] for q in captured.captured_queries if "OFFSET" in q["sql"]]  # a cursor ignores the offset


def test_a_cursor_that_is_not_this_lists_answers_422_in_the_users_language(world: AppealsWorld) -> None:
    for _ in range(3):
        world.file()
    client = english_client(world.worker)
    good = client.get("/api/v1/appeals", {"limit": 1}).json()["next_cursor"]
    audit = english_client(world.admin).get("/api/v1/audit/events", {"limit": 1}).json()["next_cursor"]
    assert good
    assert audit
    for bad in ["garbage", good[:-2] + "xx", audit, "é" * 10]:
        response = client.get("/api/v1/appeals", {"limit": 1, "cursor": bad})
        assert response.status_code == 422, bad
        assert "cursor" in response.content.decode()
        assert "Start again from the first page" in response.content.decode()
    zh = Client()  # no language cookie: zh-Hans, the default
    zh.force_login(world.worker)
    chinese = zh.get("/api/v1/appeals", {"cursor": "garbage"})
    assert chinese.status_code == 422
    assert "从第一页" in str(chinese.json())


def test_only_a_total_order_of_plain_columns_pages_by_cursor(world: AppealsWorld) -> None:
    assert order_keys(Appeal.objects.order_by("-received_at", "-id")) == [("received_at", True), ("id", True)]
    assert order_keys(Appeal.objects.order_by("-received_at")) is None  # not total: ties would be skipped
    assert order_keys(selectors.worker_queue(world.worker)) is None  # due_at may be null (nulls last)
    assert order_keys(Appeal.objects.order_by("category__name", "id")) is None  # through a join


def _copies(appeal: Appeal, n: int, **changes: Any) -> list[Appeal]:
    fields = {f.attname: getattr(appeal, f.attname) for f in Appeal._meta.concrete_fields if not f.primary_key}
    return Appeal.objects.bulk_create([Appeal(**{**fields, **changes}) for _ in range(n)])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="extended statistics are PostgreSQL's")
def test_the_planner_knows_an_appeals_place_lies_in_its_community(world: AppealsWorld) -> None:
    """An appeal page's "same category and place" candidates: told that the place lies in the community, the
    planner expects the rows there are (and reads the newest by ``appeal_dup``), not a quarter of them."""
    here = world.file()
    _copies(here, 99)
    _copies(here, 100, community_id=world.tree.other_community.pk, location_id=world.tree.other_grid.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appeals_appeal")
    qs = Appeal.objects.filter(community_id=here.community_id, location_id=here.location_id)
    assert qs.count() == 100
    estimate = pagination.planner_estimate(qs)
    assert estimate is not None
    assert estimate >= 80  # independent keys: 200 × ½ × ½ = 50


def test_each_status_shows_one_badge_colour_on_the_list_and_the_appeal_page(world: AppealsWorld) -> None:
    waiting, rejected, received = world.file(), world.file(), world.file()
    Appeal.objects.filter(pk=waiting.pk).update(status=Status.WAITING)  # only how a status is shown is tested
    Appeal.objects.filter(pk=rejected.pk).update(status=Status.REJECTED)
    client = english_client(world.worker)
    page = client.get("/appeals/?view=all").content.decode()
    assert '<span class="badge badge-warn" data-status="waiting">Waiting</span>' in page
    assert '<span class="badge badge-danger" data-status="rejected">Rejected</span>' in page
    assert '<span class="badge badge-info" data-status="received">Received</span>' in page
    assert page.count('data-label="Status"') == 3  # each row names its column for the phone layout
    detail = client.get(f"/appeals/{received.pk}/").content.decode()
    assert '<span class="badge badge-info" data-status="received">Received</span>' in detail


def test_a_row_shows_its_cells_escaped_masked_and_named_for_the_phone_layout(world: AppealsWorld) -> None:
    """The rows are drawn in Python (``appeal_list.appeal_rows``): what each cell shows, escaped as a template would,
    with numbers in the address masked and the requester's contact masked, and only to insiders."""
    world.tree.building.name = '<b>1栋</b> & "东"'
    world.tree.building.save()
    urgent = due_in(
        world.file(
            actor=world.worker,
            channel="phone",
            contact_name="王小明",
            contact_mobile="13912345678",
            consent=True,
            urgency=Urgency.URGENT,
            address="幸福路 13912345678 号院子里面的最里面那一栋楼的东门口",
        ),
        -dt.timedelta(hours=3),
    )
    closed = world.file()
    Appeal.objects.filter(pk=closed.pk).update(status=Status.CLOSED_RESOLVED, due_at=None)
    page = english_client(world.worker).get("/appeals/?view=all").content.decode()
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert rows.count("<tr ") == 2
    row = rows[rows.index(f'<tr data-number="{urgent.number}">') :].split("</tr>")[0]
    assert f'<a href="/appeals/{urgent.pk}/">{urgent.number}</a>' in row
    assert f'id="pick-{urgent.pk}" aria-label="Select {urgent.number}"' in row
    assert "&lt;b&gt;1栋&lt;/b&gt; &amp; &quot;东&quot;" in row
    assert "<b>" not in row
    assert '<span class="badge badge-danger">Urgent</span>' in row
    assert "幸福路 139****5678 号院子里面的最…" in row  # masked, then cut at 24 characters
    assert "13912345678" not in row
    assert '<td data-label="Requester" data-requester>王*明 139****5678</td>' in row
    due = timezone.localtime(Appeal.objects.get(pk=urgent.pk).due_at)
    assert f'<td class="nowrap" data-label="Next deadline">{due:%m-%d %H:%M} <span class="badge badge-danger"' in row
    assert '<td data-label="Department">—</td>' in row
    closed_row = rows[rows.index(f'<tr data-number="{closed.number}">') :].split("</tr>")[0]
    assert '<td class="nowrap" data-label="Next deadline">—</td>' in closed_row
    resident_page = english_client(world.resident).get("/appeals/?view=all").content.decode()
    assert "data-requester" not in resident_page
    assert "appeal-pick" not in resident_page


def test_a_residents_list_reads_no_requester_and_takes_the_same_queries_for_1_row_and_for_4(
    world: AppealsWorld,
) -> None:
    """A resident is no insider: her rows load none of the requester's columns (``selectors.list_rows``), and
    nothing a row shows is fetched row by row."""
    client = english_client(world.resident)
    world.file()
    client.get("/appeals/?view=mine")  # warm the session and the policy caches
    with CaptureQueriesContext(connection) as one:
        client.get("/appeals/?view=mine")
    for _ in range(3):
        world.file(urgency=Urgency.URGENT, address="幸福路 1 号")
    with CaptureQueriesContext(connection) as four:
        page = client.get("/appeals/?view=mine").content.decode()
    assert page.count("data-number=") == 4
    assert len(four.captured_queries) == len(one.captured_queries), [q["sql"] for q in four.captured_queries]
    columns = [q["sql"].split(" FROM ")[0] for q in four.captured_queries]
    rows = [c for c in columns if '"appeals_appeal"."due_at"' in c]  # the page's rows, with what they show
    assert len(rows) == 1
    assert "requester" not in rows[0]
    assert "contact_" not in rows[0]


def test_a_row_names_its_category_and_department_from_the_kept_reference_data(world: AppealsWorld) -> None:
    """The page's query joins neither the categories nor the departments (``selectors.with_row_names``): the
    names come from what the process keeps, in the reader's language, escaped, and a rename shows on the next
    page."""
    dispatched = world.to_status(world.file(), "dispatched")
    world.tree.department.name = '城管 <局> & "队"'
    world.tree.department.save()
    client = english_client(world.worker)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/appeals/?view=all").content.decode()
    rows_sql = [
        q["sql"] for q in queries.captured_queries if '"appeals_appeal"."due_at"' in q["sql"].split(" FROM ")[0]
    ]
    assert len(rows_sql) == 1
    assert "appeals_category" not in rows_sql[0]
    assert "orgs_department" not in rows_sql[0]
    row = page[page.index(f'<tr data-number="{dispatched.number}">') :].split("</tr>")[0]
    assert '<td data-label="Department">城管 &lt;局&gt; &amp; &quot;队&quot;</td>' in row
    assert '<td class="appeal-category" data-label="Category">Broken street lamp</td>' in row  # seeded, in English
    client.cookies["anju_language"] = "zh-hans"
    chinese = client.get("/appeals/?view=all").content.decode()
    client.cookies["anju_language"] = "en"
    assert ">路灯损坏</td>" in chinese
    world.tree.department.name = "城管执法局"
    world.tree.department.save()
    assert '<td data-label="Department">城管执法局</td>' in client.get("/appeals/?view=all").content.decode()
