"""URL × role × scope: for an object of every app, in one's own community and in another, every role
gets what ``access.policy`` says — 200 when it may, 403 without the action at all, and 404 (the
same as missing) for an object outside its reach."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from anju.access import policy
from anju.access.roles import Role
from anju.activities import services as activity_services
from anju.activities.models import Activity
from anju.appeals.intake import services as intake
from anju.appeals.models import Category, Channel
from anju.bulletin import services as bulletin_services
from anju.inbox import kinds
from anju.inbox import services as inbox_services
from anju.inbox.models import Message
from anju.orgs import services as org_services
from anju.people import batches
from anju.people.importing import template as import_sheet
from anju.spaces import services as space_services
from anju.testing import make_user
from anju.testing.appeals import make_appeals_world
from anju.testing.people import make_people_world
from anju.testing.spaces import days_ahead, local, make_station

pytestmark = pytest.mark.django_db

MESSAGE_KIND = "tests.matrix"
kinds.register(MESSAGE_KIND, "A message for the permission matrix")


@dataclass(frozen=True)
class Probe:
    """One URL of one object: the action its decorator declares and the one its object is fetched with."""

    kind: str
    url: Callable[[Any], str]
    action: str
    object_action: str
    #: Whether the object is within the user's reach, when it is not ``policy.can(user, object_action, obj)``
    #: (an account belongs to no unit: it is within reach when one of its grants is).
    reaches: Callable[[Any, Any], bool] | None = None


def _account_in_reach(user: Any, account: Any) -> bool:
    return policy.is_superuser(user) or any(policy.can(user, "user.view", g.unit) for g in account.grants.all())


PROBES = [
    Probe("appeal", lambda o: reverse("appeals:detail", kwargs={"pk": o.pk}), "appeal.view", "appeal.view"),
    Probe("appeal", lambda o: f"/api/v1/appeals/{o.pk}", "appeal.view", "appeal.view"),
    Probe("space", lambda o: reverse("spaces:space", kwargs={"space_id": o.pk}), "space.view", "space.view"),
    Probe("space", lambda o: reverse("spaces:edit", kwargs={"space_id": o.pk}), "space.manage", "space.manage"),
    Probe(
        "activity",
        lambda o: reverse("activities:detail", kwargs={"activity_id": o.pk}),
        "activity.view",
        "activity.view",
    ),
    Probe(
        "activity",
        lambda o: reverse("activities:edit", kwargs={"activity_id": o.pk}),
        "activity.manage",
        "activity.manage",
    ),
    Probe("activity", lambda o: f"/api/v1/activities/{o.pk}", "activity.view", "activity.view"),
    Probe("notice", lambda o: reverse("bulletin:detail", kwargs={"notice_id": o.pk}), "notice.view", "notice.view"),
    Probe("notice", lambda o: reverse("bulletin:edit", kwargs={"notice_id": o.pk}), "notice.manage", "notice.manage"),
    Probe("resident", lambda o: reverse("people:resident", kwargs={"pk": o.pk}), "people.view", "people.view"),
    Probe("resident", lambda o: reverse("people:resident_edit", kwargs={"pk": o.pk}), "people.manage", "people.manage"),
    Probe("household", lambda o: reverse("people:household", kwargs={"pk": o.pk}), "people.view", "people.view"),
    Probe("household", lambda o: f"/api/v1/people/households/{o.pk}", "people.view", "people.view"),
    Probe("booking", lambda o: reverse("spaces:booking", kwargs={"booking_id": o.pk}), "booking.view", "booking.view"),
    Probe("booking", lambda o: f"/api/v1/bookings/{o.pk}", "booking.view", "booking.view"),
    Probe("task_force", lambda o: reverse("orgs:taskforce", kwargs={"pk": o.pk}), "taskforce.view", "taskforce.view"),
    Probe("org_unit", lambda o: reverse("orgs:unit", kwargs={"pk": o.pk}), "orgunit.view", "orgunit.view"),
    Probe("org_unit", lambda o: f"/api/v1/orgunits/{o.pk}", "orgunit.view", "orgunit.view"),
    Probe(
        "station",
        lambda o: reverse("spaces:station_day", kwargs={"station_id": o.pk}),
        "space.view",
        "space.view",
    ),
    Probe(
        "session",
        lambda o: reverse("activities:roster", kwargs={"session_id": o.pk}),
        "activity.manage",
        "activity.manage",
    ),
    Probe(
        "import_batch", lambda o: reverse("people:import_batch", kwargs={"pk": o.pk}), "people.import", "people.import"
    ),
    Probe(
        "account",
        lambda o: reverse("accounts:user_detail", kwargs={"pk": o.pk}),
        "user.view",
        "user.view",
        reaches=_account_in_reach,
    ),
]


@dataclass
class Objects:
    own: dict[str, Any]
    other: dict[str, Any]
    users: dict[str, Any]
    registrations: dict[str, Any]  # not pages of their own: acted on by POST (see below)
    messages: dict[str, Any]


def _activity(community: Any, actor: Any, space: Any) -> Activity:
    starts = local(days_ahead(3), 9)
    now = timezone.now()
    return activity_services.activity_create(
        actor=actor,
        community=community,
        title="老年课堂",
        category=Activity.Category.CLASS,
        space=space,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        capacity=10,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=starts - timedelta(hours=1),
    )


@pytest.fixture
def objects() -> Objects:
    people = make_people_world()
    tree = people.tree
    appeals = make_appeals_world(tree)
    other_resident = make_user(Role.RESIDENT, tree.other_grid)
    other_worker = people.users["other_worker"]
    worker = people.users["community_worker"]
    station, other_station = make_station(tree.community), make_station(tree.other_community)
    resident = people.users["resident"]

    def booking(actor: Any, space: Any) -> Any:
        starts = local(days_ahead(2), 10)
        made = space_services.booking_create(
            actor=actor, space=space, starts_at=starts, ends_at=starts + timedelta(hours=1), title="读书会"
        )
        return made.bookings[0]

    def registration(actor: Any, activity: Activity) -> Any:
        return activity_services.registration_create(actor=actor, session=activity.sessions.get())

    def appeal(actor: Any, community: Any, location: Any) -> Any:
        category = Category.objects.get(code="street-lamp")
        return intake.appeal_file(
            actor=actor,
            community=community,
            category=category,
            description="路灯不亮",
            location=location,
            channel=Channel.APP,
        )

    def import_batch(actor: Any, community: Any) -> Any:
        workbook = import_sheet.build_template()
        return batches.import_start(actor=actor, community=community, filename="居民.xlsx", data=workbook)

    def notice(actor: Any, community: Any) -> Any:
        return bulletin_services.notice_create(actor=actor, community=community, title="停水通知", body="周三停水")

    own = {
        "appeal": appeal(appeals.resident, tree.community, tree.building),
        "space": station.kitchen,
        "activity": _activity(tree.community, worker, station.kitchen),
        "booking": booking(resident, station.kitchen),
        "notice": notice(worker, tree.community),
        "resident": people.residents[0],
        "household": people.households[0],
        "task_force": org_services.taskforce_create(actor=None, community=tree.community, name="安居专班"),
        "org_unit": tree.grid,
        "station": station.station,
        "import_batch": import_batch(worker, tree.community),
        "account": resident,
    }
    own["session"] = own["activity"].sessions.get()
    other = {
        "appeal": appeal(other_resident, tree.other_community, tree.other_grid),
        "space": other_station.kitchen,
        "activity": _activity(tree.other_community, other_worker, other_station.kitchen),
        "booking": booking(other_resident, other_station.kitchen),
        "notice": notice(other_worker, tree.other_community),
        "resident": people.other_resident,
        "household": people.households[2],
        "task_force": org_services.taskforce_create(actor=None, community=tree.other_community, name="宝塔专班"),
        "org_unit": tree.other_grid,
        "station": other_station.station,
        "import_batch": import_batch(other_worker, tree.other_community),
        "account": other_resident,
    }
    other["session"] = other["activity"].sessions.get()
    users = {role: make_user(role, tree.community) for role in Role.values if role != Role.DEPARTMENT_LIAISON}
    users[Role.DEPARTMENT_LIAISON] = make_user(Role.DEPARTMENT_LIAISON, tree.street, department=tree.department)
    users["no role"] = make_user()
    registrations = {
        "own": registration(resident, own["activity"]),
        "other": registration(other_resident, other["activity"]),
    }
    for recipient, community in ((resident, tree.community), (other_resident, tree.other_community)):
        inbox_services.inbox_send(recipients=[recipient], kind=MESSAGE_KIND, community=community, email=False)
    messages = {
        "own": Message.objects.get(recipient=resident, kind=MESSAGE_KIND),
        "other": Message.objects.get(recipient=other_resident, kind=MESSAGE_KIND),
    }
    return Objects(own, other, users, registrations, messages)


def expected_status(user: Any, probe: Probe, obj: Any) -> int:
    if not policy.can(user, probe.action):
        return 403
    reaches = probe.reaches(user, obj) if probe.reaches else policy.can(user, probe.object_action, obj)
    return 200 if reaches else 404


def test_every_role_gets_what_the_policy_says_in_and_out_of_scope(objects: Objects, client_for: Any) -> None:
    kinds = {p.kind for p in PROBES}
    assert kinds == set(objects.own) == set(objects.other)
    assert objects.own["booking"].space.community == objects.own["space"].community
    mismatches = []
    outside_reached = []
    for who, user in objects.users.items():
        client = client_for(user)
        for probe in PROBES:
            for scope, obj in (("own", objects.own[probe.kind]), ("other", objects.other[probe.kind])):
                url = probe.url(obj)
                got = client.get(url).status_code
                want = expected_status(user, probe, obj)
                if got != want:
                    mismatches.append(f"{who} {scope} {url}: {got}, policy says {want}")
                if scope == "other" and want == 200 and who != Role.DEPARTMENT_LIAISON:
                    outside_reached.append(f"{who} {url}")
    assert mismatches == []
    # A grant on one community never reaches the other one (the liaison sits on the street above both).
    assert outside_reached == []


def test_the_matrix_sees_each_answer(objects: Objects) -> None:
    """The matrix is not vacuous: each of 200, 403 and 404 occurs for some role and object."""
    answers = {
        expected_status(user, probe, obj)
        for user in objects.users.values()
        for probe in PROBES
        for obj in (objects.own[probe.kind], objects.other[probe.kind])
    }
    assert answers == {200, 403, 404}


def test_registrations_are_cancelled_only_as_the_policy_says(objects: Objects, client_for: Any) -> None:
    """A POST on a registration: 403 without the action, 404 outside reach or someone else's; nothing changes."""
    for who, user in objects.users.items():
        client = client_for(user)
        for scope, reg in objects.registrations.items():
            want = (
                200
                if policy.can(user, "registration.view", reg)
                else (403 if not policy.can(user, "registration.view") else 404)
            )
            if want == 200:
                continue  # allowed: it would cancel; the pages' own tests cover that
            status_before = type(reg).objects.get(pk=reg.pk).status
            got = client.post(reverse("activities:cancel", kwargs={"registration_id": reg.pk})).status_code
            assert (who, scope, got) == (who, scope, want)
            assert type(reg).objects.get(pk=reg.pk).status == status_before
    staff = objects.users[Role.COMMUNITY_WORKER]
    assert policy.can(staff, "registration.view", objects.registrations["own"])
    assert not policy.can(staff, "registration.view", objects.registrations["other"])


def test_inbox_messages_answer_only_their_recipient(objects: Objects, client_for: Any) -> None:
    for who, user in objects.users.items():
        client = client_for(user)
        for message in objects.messages.values():
            got = client.post(reverse("inbox:read", kwargs={"message_id": message.pk})).status_code
            assert (who, got) == (who, 404)
            message.refresh_from_db()
            assert message.read_at is None


def test_audit_entries_listed_as_the_policy_says(objects: Objects, client_for: Any) -> None:
    from anju.audit.models import AuditEvent

    events = list(AuditEvent.objects.select_related("community"))
    own, other = objects.own["appeal"].community_id, objects.other["appeal"].community_id
    assert {e.community_id for e in events} >= {own, other}
    assert len(events) < 200  # one page holds them all
    for who, user in objects.users.items():
        response = client_for(user).get("/api/v1/audit/events?limit=200")
        if not policy.can(user, "audit.view"):
            assert (who, response.status_code) == (who, 403)
            continue
        listed = {row["id"] for row in response.json()["results"]}
        want = {
            e.pk
            for e in events
            if (
                policy.reaches_root(user, "audit.view")
                if e.community is None
                else policy.can(user, "audit.view", e.community)
            )
        }
        assert (who, listed) == (who, want)
        assert not any(e.community_id == other for e in events if e.pk in listed)
        if who == Role.SUPERVISOR:
            assert any(e.community_id == own for e in events if e.pk in listed)


def test_background_jobs_only_for_administrators(objects: Objects, client_for: Any) -> None:
    for who, user in objects.users.items():
        want = 200 if policy.can(user, "jobs.view") else 403
        assert (who, client_for(user).get(reverse("jobs:status")).status_code) == (who, want)
    assert policy.can(objects.users[Role.ADMIN], "jobs.view")
