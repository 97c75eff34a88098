"""URL × role × scope: for an object of every app, in one's own community and in another, every role
gets what ``access.policy`` says — 200 when it may, 403 without the action at all, and 404 (the
same as missing) for an object outside its reach.

The probes compare chosen pages with the policy; the walk below leaves no URL out: every page and API
operation that takes an object is called with the other community's object by every role (and the
nested pages with one's own parent and the other community's part), and must refuse, writing nothing.
A new URL whose parameter the walk cannot fill fails it until its object is added."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from anju.access import policy
from anju.access.roles import Role
from anju.activities import services as activity_services
from anju.activities.models import Activity
from anju.appeals.intake import services as intake
from anju.appeals.models import Category, Channel
from anju.bulletin import services as bulletin_services
from anju.contributions import services as contributions_services
from anju.inbox import kinds
from anju.inbox import services as inbox_services
from anju.inbox.models import Message
from anju.orgs import services as org_services
from anju.people import batches
from anju.people.importing import template as import_sheet
from anju.spaces import services as space_services
from anju.testing import make_user
from anju.testing.appeals import make_appeals_world, upload
from anju.testing.consult import consult_objects
from anju.testing.people import make_people_world
from anju.testing.spaces import days_ahead, local, make_station
from anju.testing.surveys import make_survey
from test_permissions import api_operations, iter_endpoints

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
    Probe(
        "household",
        lambda o: reverse("pairing:household", kwargs={"household_id": o.pk}),
        "pairing.visit",
        "pairing.visit",
    ),
    Probe("household", lambda o: f"/api/v1/pairing/households/{o.pk}", "pairing.visit", "pairing.visit"),
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
    tree: Any
    other_worker: Any


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
    return Objects(own, other, users, registrations, messages, tree, other_worker)


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


# --- every object URL, with an object of another community ----------------------------------------
# The probes above compare chosen pages with the policy. This walk leaves no URL out: every page and API
# operation that takes an object gets the other community's object of that kind, and every role granted
# in this community must be refused (403 without the action, 404 outside reach) by every method it
# serves — with nothing written. A new URL whose parameter this walk cannot fill fails the test: add
# its object below, or its reason to ``UNSCOPED``.

#: Object URLs whose object belongs to no community, so there is no "other community" to try: the
#: dispatch catalogue, the SLA presets and the satisfaction scale are one per installation (edited only
#: with ``appeal.configure``, which test_permissions.py and test_appeals_config.py cover).
UNSCOPED = {
    "insights:rows": "the section and the figure are names, not rows: the communities read are the reader's reach "
    "(?community= outside it answers 404, tests/test_insights_figures.py)",
    "appeals:config_category": "the dispatch catalogue is one per installation",
    "appeals:config_category_active": "the dispatch catalogue is one per installation",
    "appeals:config_category_delete": "the dispatch catalogue is one per installation",
    "appeals:config_sla_edit": "the SLA presets are one per installation",
    "appeals:config_sla_remove": "the SLA presets are one per installation",
    "appeals:config_satisfaction_edit": "the satisfaction scale is one per installation",
    "PUT /appeals/config/categories/{category_id}": "the dispatch catalogue is one per installation",
    "POST /appeals/config/categories/{category_id}/active": "the dispatch catalogue is one per installation",
    "PUT /appeals/config/sla/{sla_id}": "the SLA presets are one per installation",
    "PUT /appeals/config/satisfaction/{level_id}": "the satisfaction scale is one per installation",
}

#: A page's parameter → the kind of object that fills it, by URL namespace (and name prefix where a
#: namespace holds two kinds under one parameter name).
PAGE_PARAMS: dict[tuple[str, str], str] = {
    ("accounts:token", "pk"): "token",
    ("accounts:proxy", "pk"): "proxy",
    ("accounts:", "pk"): "account",
    ("accounts:", "grant_pk"): "grant",
    ("orgs:unit", "pk"): "org_unit",
    ("orgs:taskforce", "pk"): "task_force",
    ("orgs:", "member_pk"): "member",
    ("spaces:", "station_id"): "station",
    ("spaces:", "space_id"): "space",
    ("spaces:", "photo_id"): "space_photo",
    ("spaces:", "closure_id"): "closure",
    ("spaces:", "booking_id"): "booking",
    ("spaces:", "series_id"): "series",
    ("spaces:qr_checkin", "token"): "booking_token",
    ("people:resident", "pk"): "resident",
    ("people:invitation_issue", "pk"): "resident",
    ("people:invitation_revoke", "pk"): "invitation",
    ("people:household", "pk"): "household",
    ("people:import", "pk"): "import_batch",
    ("appeals:config_route", "pk"): "route",
    ("appeals:", "pk"): "appeal",
    ("appeals:", "photo_pk"): "appeal_photo",
    ("appeals:", "summons_pk"): "summons",
    ("appeals:", "whistle_pk"): "whistle",
    ("appeals:checkin_qr", "token"): "summons_token",
    ("activities:", "activity_id"): "activity",
    ("activities:", "session_id"): "session",
    ("activities:", "registration_id"): "registration",
    ("activities:", "helper_id"): "helper",
    ("bulletin:", "notice_id"): "notice",
    ("duty:", "shift_id"): "duty_shift",
    ("duty:", "assignment_id"): "duty_assignment",
    ("duty:", "swap_id"): "duty_swap",
    ("duty:", "entry_id"): "duty_entry",
    ("duty:", "volunteer_id"): "duty_volunteer",
    ("duty:door", "token"): "duty_door",
    ("bulletin:", "photo_id"): "notice_photo",
    ("bulletin:", "activity_id"): "activity",
    ("inbox:", "message_id"): "message",
    ("pairing:", "household_id"): "household",
    ("pairing:", "visit_id"): "visit",
    ("pairing:", "central_id"): "central",
    ("pairing:", "area_id"): "org_unit",
    ("consult:", "survey_id"): "survey",
    ("contributions:", "project_id"): "contribution_project",
    ("contributions:", "money_entry_id"): "money_entry",
    ("contributions:", "contribution_id"): "contribution",
    ("mediation:", "case_id"): "mediation_case",
    ("mediation:", "session_id"): "mediation_session",
    ("mediation:", "follow_up_id"): "mediation_follow_up",
    ("consult:convention", "version_id"): "convention_version",
    ("consult:convention", "amendment_id"): "convention_amendment",
    ("consult:honours", "campaign_id"): "honours_campaign",
    ("consult:honours", "nomination_id"): "honours_nomination",
    ("consult:honours", "objection_id"): "honours_objection",
    ("consult:", "topic_id"): "consult_topic",
    ("consult:", "proposal_id"): "consult_proposal",
    ("consult:", "candidate_id"): "consult_candidate",
    ("consult:", "meeting_id"): "consult_meeting",
    ("consult:", "decision_id"): "consult_decision",
    ("insights:", "report_id"): "insights_report",
}

#: An API path parameter → the kind of object that fills it.
API_PARAMS = {
    "proxy_id": "proxy",
    "appeal_id": "appeal",
    "route_id": "route",
    "community_id": "community",
    "unit_id": "org_unit",
    "resident_id": "resident",
    "invitation_id": "invitation",
    "household_id": "household",
    "space_id": "space",
    "booking_id": "booking",
    "series_id": "series",
    "activity_id": "activity",
    "session_id": "session",
    "registration_id": "registration",
    "helper_id": "helper",
    "notice_id": "notice",
    "message_id": "message",
    "station_id": "station",
    "shift_id": "duty_shift",
    "assignment_id": "duty_assignment",
    "swap_id": "duty_swap",
    "entry_id": "duty_entry",
    "visit_id": "visit",
    "area_id": "org_unit",
    "roster_id": "duty_roster",
    "volunteer_id": "duty_volunteer",
    "survey_id": "survey",
    "project_id": "contribution_project",
    "money_entry_id": "money_entry",
    "contribution_id": "contribution",
    "case_id": "mediation_case",
    "mediation_session_id": "mediation_session",
    "follow_up_id": "mediation_follow_up",
    "version_id": "convention_version",
    "amendment_id": "convention_amendment",
    "convention_id": "convention",
    "campaign_id": "honours_campaign",
    "nomination_id": "honours_nomination",
    "objection_id": "honours_objection",
    "topic_id": "consult_topic",
    "proposal_id": "consult_proposal",
    "candidate_id": "consult_candidate",
    "meeting_id": "consult_meeting",
    "decision_id": "consult_decision",
    "template_id": "duty_template",
    "item_id": "duty_item",
}

#: Plain (non-object) parameters and what fills them.
PLAIN_PARAMS = {"fmt": "png", "step": "confirm"}

#: An id no row has.
MISSING = 987_654_321


def _pairing_objects(household: Any, building: Any) -> tuple[Any, Any]:
    """The other community's central household, paired with its household, and one visit there."""
    from anju.pairing import services as pairing
    from anju.people.models import Resident
    from anju.testing.pairing import add_household

    home = add_household(building, "1808", name="钱党员", party=True)
    central = pairing.central_designate(
        actor=None,
        household=home,
        member=Resident.objects.get(household=home),
        area=building.community,
    )
    pairing.pairing_set(actor=None, household=household, central=central)
    visit = pairing.visit_record(
        actor=make_user(Role.ADMIN, building.community),
        household=household,
        visited_on=timezone.localdate(),
        method="door",
        condition="good",
        client_key="matrix-other",
    )
    return central, visit


def _mediation_objects(community: Any, worker: Any) -> tuple[Any, Any, Any]:
    """The other community's mediation case (agreed), its session in the mediation room and a follow-up."""
    from anju.spaces.models import Space
    from anju.testing.mediation import agree, open_case, schedule

    case = open_case(community=community, opener=worker, lead=worker)
    session = schedule(case, worker, Space.objects.get(community=community, name="矛盾纠纷调解室"))
    agree(case, worker)
    return case, session, case.follow_ups.first()


@dataclass
class Outside:
    """The other community's object of every kind, and users of every role in this community."""

    objects: dict[str, Any]
    users: dict[str, Any]


@pytest.fixture
def outside(objects: Objects) -> Outside:
    from anju.accounts import services as account_services
    from anju.accounts.proxy import services as proxy_services
    from anju.activities import volunteer_hours
    from anju.appeals.config import services as appeal_config
    from anju.appeals.whistles import services as whistles
    from anju.people.invitations import services as invitations
    from anju.spaces import checkin as space_checkin
    from anju.spaces import setup as space_setup
    from anju.spaces.recurrence import Recurrence

    tree = objects.tree
    other = dict(objects.other)
    account = other["account"]
    other["community"] = tree.other_community
    other["registration"] = objects.registrations["other"]
    other["message"] = objects.messages["other"]
    other["grant"] = account.grants.get()
    other["invitation"] = invitations.invitation_issue(actor=None, resident=other["resident"], identified_by="known")[0]
    other["token"] = account_services.token_create(actor=None, user=account, name="cli")[0]
    other["proxy"] = proxy_services.proxy_grant_create(
        actor=account, grantor=account, proxy_username=objects.other_worker.username, scopes=["appeals"]
    )
    other["member"] = org_services.taskforce_add_member(
        actor=None, task_force=other["task_force"], name="李物业", organisation="物业公司"
    )
    starts = local(days_ahead(20), 9)
    other["closure"] = space_setup.closed_period_add(
        actor=None,
        station=other["station"],
        space=other["space"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        reason="检修",
    )
    series_start = local(days_ahead(4), 15)
    other["series"] = space_services.booking_create(
        actor=account,
        space=other["space"],
        starts_at=series_start,
        ends_at=series_start + timedelta(hours=1),
        title="合唱团",
        recurrence=Recurrence("weekly", count=2),
    ).series
    other["booking_token"] = space_checkin.checkin_token(other["booking"])
    other["route"] = appeal_config.route_set(
        actor=None, unit=tree.other_community, category=other["appeal"].category, department=tree.department
    )
    other["whistle"] = whistles.whistle_blow(actor=None, appeal=other["appeal"], departments=[tree.department])
    other["summons"] = other["whistle"].summonses.get()
    other["summons_token"] = whistles.checkin_token(other["summons"])
    other["helper"] = volunteer_hours.helper_record(
        actor=objects.other_worker, activity=other["activity"], hours=2, user=objects.other_worker
    )
    other["space_photo"] = space_setup.space_photo_add(actor=None, space=other["space"], files=[upload()])[0]
    with_photo = intake.appeal_file(
        actor=account,
        community=tree.other_community,
        category=other["appeal"].category,
        description="井盖松动",
        location=tree.other_grid,
        channel=Channel.APP,
        photos=[upload()],
    )
    other["appeal_photo"] = with_photo.photos.get()
    summary = bulletin_services.activity_summary_publish(
        actor=objects.other_worker,
        activity=other["activity"],
        title="活动回顾",
        body="<p>大家学得很认真。</p>",
        photos=[upload()],
        now=local(days_ahead(10), 9),
    )
    other["notice_photo"] = summary.photos.get()
    _outside_duty(other, objects.other_worker)
    _outside_contributions(other, objects.other_worker)
    other["central"], other["visit"] = _pairing_objects(other["household"], other["household"].unit)
    other["survey"] = make_survey(tree.other_community)
    other["mediation_case"], other["mediation_session"], other["mediation_follow_up"] = _mediation_objects(
        tree.other_community, objects.other_worker
    )
    _outside_convention(other, tree.other_community)
    _outside_honours(other, tree.other_community, objects.other_worker, account)
    other["insights_report"] = _outside_report(tree.other_community, objects.other_worker)
    other.update(consult_objects(tree.other_community, objects.other_worker, account, other["household"]))
    assert all(v is not None for v in other.values())
    users = {who: u for who, u in objects.users.items() if who != Role.DEPARTMENT_LIAISON}
    # The matrix's liaison sits on the street above both communities, so the other one is within its
    # reach; here the liaison is one of another street's department, whose grant reaches neither.
    users[Role.DEPARTMENT_LIAISON] = make_user(
        Role.DEPARTMENT_LIAISON, tree.other_department.unit, department=tree.other_department
    )
    return Outside(other, users)


def _page_kind(name: str, param: str) -> str | None:
    """The kind that fills ``param`` of the page ``name``: the longest matching prefix wins."""
    found = [(len(prefix), kind) for (prefix, p), kind in PAGE_PARAMS.items() if p == param and name.startswith(prefix)]
    return max(found)[1] if found else None


def _param_kind(name: str, param: str) -> str | None:
    return "plain" if param in PLAIN_PARAMS else _page_kind(name, param)


def _value(kind: str, objects: dict[str, Any]) -> Any:
    obj = objects[kind]
    return obj if isinstance(obj, (str, int)) else obj.pk


def object_pages(objects: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, URL) of every page that takes an object, filled with ``objects``; and the parameters this
    walk cannot fill (which fail the test)."""
    pages, unknown = [], []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        params = getattr(endpoint.pattern.pattern, "converters", {})
        if endpoint.name.startswith("api:") or not params or endpoint.name in UNSCOPED:
            continue
        if getattr(endpoint.callback, "anju_permission", None) == policy.PUBLIC:
            continue  # the public's pages (Open311, calendar feeds by a secret token) take no account
        kwargs = {}
        for param in params:
            kind = _param_kind(endpoint.name, param)
            if kind is None:
                unknown.append(f"{endpoint.name} <{param}>")
            else:
                kwargs[param] = PLAIN_PARAMS[param] if kind == "plain" else _value(kind, objects)
        if len(kwargs) == len(params):
            pages.append((endpoint.name, reverse(endpoint.name, kwargs=kwargs)))
    return pages, unknown


def object_operations(objects: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(method, route, URL) of every API operation that takes an object, filled with ``objects``; and the
    parameters this walk cannot fill."""
    operations, unknown = [], []
    for method, route, _op in api_operations():
        params = re.findall(r"\{([a-z_]+)\}", route)
        if not params or f"{method} {route}" in UNSCOPED:
            continue
        url = route
        for param in params:
            kind = API_PARAMS.get(param)
            if kind is None:
                unknown.append(f"{method} {route} {{{param}}}")
                break
            url = url.replace(f"{{{param}}}", str(_value(kind, objects)))
        else:
            query = API_INPUT.get(f"{method} {route}")
            operations.append((method, route, "/api/v1" + url + (query if isinstance(query, str) else "")))
    return operations, unknown


def _outside_report(community: Any, worker: Any) -> Any:
    """The other community's finished annual report (its PDF is there to download, for those within reach)."""
    from django.core.files.base import ContentFile

    from anju.insights.models import Report

    return Report.objects.create(
        community=community,
        year=timezone.localdate().year - 1,
        status=Report.Status.DONE,
        progress=100,
        pages=1,
        requested_by=worker,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="report.pdf"),
    )


def _outside_contributions(other: dict[str, Any], worker: Any) -> None:
    """The other community's co-building project, a donation and its money entry."""
    from anju.testing.contributions import make_project

    project = make_project(worker, other["station"].community, "宝塔小广场")
    other["contribution_project"] = project
    other["contribution"] = contributions_services.contribution_record(
        actor=worker,
        project=project,
        contributor="organisation",
        name="乡贤理事会",
        kind="money",
        quantity="100",
        unit="yuan",
        day=days_ahead(-1),
    )
    other["money_entry"] = other["contribution"].money_entry


def _outside_convention(other: dict[str, Any], community: Any) -> None:
    """The other community's convention: a version under amendment with one proposed amendment."""
    from anju.consult.convention import services as convention

    version = convention.comment_open(
        actor=None,
        version=convention.convention_create(
            actor=None, community=community, title="宝塔公约", articles=[("爱护环境", "不乱扔垃圾。")]
        ),
        until=days_ahead(7),
    )
    other["convention_amendment"] = convention.amendment_propose(
        actor=other["account"], version=version, kind="remove", article=version.articles.get(), rationale="重复"
    )
    other["convention_version"] = version
    other["convention"] = version.convention


def _outside_honours(other: dict[str, Any], community: Any, worker: Any, account: Any) -> None:
    """The other community's honours campaign on public notice, with an objection."""
    from anju.consult.honours import services as honours
    from anju.consult.models import Objection, ScoreSheet
    from anju.testing.honours import make_campaign

    campaign = make_campaign(community, actor=worker)
    honours.nominations_open(actor=worker, campaign=campaign)
    nomination = honours.nominate(actor=worker, campaign=campaign, household=other["household"], reason="热心")
    honours.scoring_open(actor=worker, campaign=campaign)
    assert not ScoreSheet.objects.filter(campaign=campaign).exists()
    other["honours_campaign"] = campaign
    other["honours_nomination"] = nomination
    other["honours_objection"] = Objection.objects.create(
        community=community, campaign=campaign, nomination=nomination, raised_by=account, body="有异议"
    )


def _outside_duty(other: dict[str, Any], worker: Any) -> None:
    """The other community's duty objects: a volunteer on a published shift asking for cover, an hours entry,
    the station's door code."""
    from datetime import time

    from anju.duty import ledger as duty_ledger
    from anju.duty import seats as duty_seats
    from anju.duty import services as duty_services
    from anju.duty.models import Roster, Shift

    community = other["station"].community
    volunteer = duty_services.volunteer_enrol(actor=None, community=community, user=worker)
    template = duty_services.template_create(
        actor=None, station=other["station"], name="共享客厅 上午", starts=time(9), ends=time(12)
    )
    day = days_ahead(5)
    roster = Roster.objects.create(
        community=community, station=other["station"], month=day.replace(day=1), status=Roster.Status.PUBLISHED
    )
    shift = Shift.objects.create(
        community=community,
        roster=roster,
        template=template,
        day=day,
        starts_at=local(day, 9),
        ends_at=local(day, 12),
        seats=1,
        confirm_by=local(day, 9) - timedelta(hours=48),
    )
    other["duty_volunteer"] = volunteer
    other["duty_roster"] = roster
    other["duty_shift"] = shift
    other["duty_assignment"] = duty_seats.shift_claim(actor=worker, shift=shift)
    other["duty_swap"] = duty_seats.cover_ask(actor=worker, assignment=other["duty_assignment"])
    other["duty_entry"] = duty_ledger.hours_add(
        actor=None, volunteer=volunteer, day=days_ahead(-1), hours=2, category="劳动"
    )
    other["duty_door"] = duty_ledger.door_code_issue(actor=worker, station=other["station"]).token
    other["duty_template"] = template
    other["duty_item"] = duty_ledger.item_add(actor=None, community=community, name="毛巾", cost=10, stock=1)


REFUSED = {403, 404}

REVEAL = {"field": "mobile", "purpose": "callback", "reason": "回访核实诉求内容"}

#: A valid input for the operations that validate their input before they fetch the object (django-ninja
#: answers 422 to an empty body first), so the walk reaches the object check.
API_INPUT: dict[str, dict[str, Any] | str] = {
    "POST /appeals/{appeal_id}/steps": {"action": "accept"},
    "POST /duty/assignments/{assignment_id}/steps": {"step": "confirm"},
    "POST /duty/entries/{entry_id}/reverse": {"reason": "录错了"},
    "POST /duty/stations/{station_id}/rosters": {"month": "2030-01-01"},
    "PUT /duty/volunteers/{volunteer_id}/availability": {"weekdays": [0, 1], "monthly_max": 4},
    "POST /duty/swaps/{swap_id}/accept": {"give_id": 1},
    "POST /duty/stations/{station_id}/templates": {"name": "早班", "starts": "09:00", "ends": "12:00"},
    "PUT /duty/templates/{template_id}": {"name": "早班", "starts": "09:00", "ends": "12:00"},
    "POST /duty/stations/{station_id}/volunteers": {"user_id": 1},
    "POST /duty/assignments/{assignment_id}/attendance": {"checked_in_at": "2030-01-07T09:00:00+08:00"},
    "PUT /duty/stations/{station_id}/points-rules": {"basis": "per_hour", "points": 1},
    "PUT /duty/stations/{station_id}/points-settings": {"expire_yearly": True},
    "POST /duty/stations/{station_id}/store-items": {"name": "毛巾", "cost": 10, "stock": 1},
    "PUT /duty/store-items/{item_id}": {"name": "毛巾", "cost": 10, "stock": 1, "is_active": True},
    "PUT /appeals/{appeal_id}/requester-resident": {"resident_id": None},
    "POST /appeals/{appeal_id}/reveal": REVEAL,
    "POST /people/residents/{resident_id}/reveal": REVEAL,
    "POST /people/residents/{resident_id}/archive": {"reason": "moved_out"},
    "POST /people/residents/{resident_id}/invitations": {"identified_by": "known"},
    "POST /activities/{activity_id}/helpers": {"hours": 1},
    "PUT /appeals/config/publication/{community_id}": {"level": "basic"},
    "GET /spaces/{space_id}/availability": "?start=2030-01-07T08:00:00%2B08:00&end=2030-01-07T18:00:00%2B08:00",
    "POST /pairing/households/{household_id}/visits": {
        "client_key": "matrix-walk",
        "visited_on": "2026-01-05",
        "method": "door",
        "condition": "good",
    },
    "POST /pairing/households/{household_id}/reveal": {
        "resident_id": 1,
        "purpose": "callback",
        "reason": "回访核实情况",
    },
    "PUT /pairing/households/{household_id}/care": {"level": "alone", "reason": "独居"},
    "POST /pairing/households/{household_id}/pairing": {"central_id": 1},
    "POST /pairing/areas/{area_id}/suggestion": {"household_ids": [1]},
    "POST /consult/surveys/{survey_id}/questions": {"kind": "single", "text": "?", "options": ["是", "否"]},
    "POST /consult/surveys/{survey_id}/answers": {"answers": []},
    "POST /consult/surveys/{survey_id}/assisted": {"household_id": 1, "answers": []},
    "POST /consult/surveys/{survey_id}/paper": {"household_id": 1, "answers": []},
    "POST /consult/surveys/{survey_id}/tallies": {
        "question_id": 1,
        "held_on": "2026-01-05",
        "attendance": 5,
        "votes": {"1": 1},
    },
    "POST /contributions/projects/{project_id}/contributions": {
        "contributor": "organisation",
        "name": "乡贤理事会",
        "kind": "money",
        "quantity": "100",
        "unit": "yuan",
        "day": "2026-01-05",
    },
    "POST /contributions/projects/{project_id}/labour": {
        "name": "志愿者",
        "people": 3,
        "days": "1",
        "day": "2026-01-05",
    },
    "POST /contributions/projects/{project_id}/expenditures": {"amount": "1", "day": "2026-01-05", "purpose": "水泥"},
    "POST /contributions/entries/{money_entry_id}/decision": {"approve": True},
    "POST /contributions/entries/{money_entry_id}/reverse": {"reason": "录错了"},
    "POST /contributions/items/{contribution_id}/reverse": {"reason": "录错了"},
    "POST /mediation/cases/{case_id}/sessions": {
        "space_id": 1,
        "starts_at": "2030-01-07T10:00:00+08:00",
        "ends_at": "2030-01-07T11:00:00+08:00",
    },
    "POST /mediation/cases/{case_id}/sessions/{mediation_session_id}": {"attended": [], "notes": "到场"},
    "POST /mediation/cases/{case_id}/agreement": {"facts": "事实", "undertakings": []},
    "POST /mediation/cases/{case_id}/no-agreement": {"reason": "分歧大"},
    "POST /mediation/cases/{case_id}/referral": {"referred_to": "court", "reason": "起诉"},
    "POST /mediation/cases/{case_id}/follow-ups/{follow_up_id}": {"result": "kept"},
}
#: Uploads (multipart) are not built here: these may answer 422, as long as the answer is the same as
#: for an id no row has (missing and forbidden look alike).
API_UPLOADS = {
    "POST /activities/{activity_id}/poster",
    "POST /activities/{activity_id}/summary",
    "POST /notices/{notice_id}/cover",
}


def test_every_object_url_refuses_every_role_an_object_of_another_community(outside: Outside) -> None:
    from anju.audit.models import AuditEvent, PiiAccess
    from anju.testing import api_client

    pages, unknown_pages = object_pages(outside.objects)
    operations, unknown_operations = object_operations(outside.objects)
    missing = dict.fromkeys(outside.objects, MISSING)
    missing.update({k: "x" for k, v in outside.objects.items() if isinstance(v, str)})
    missing_urls = dict(zip(operations, object_operations(missing)[0], strict=True))
    assert unknown_pages + unknown_operations == [], "fill these parameters in PAGE_PARAMS / API_PARAMS"
    assert len(pages) > 60  # the walk is not vacuous
    assert len(operations) > 30
    routes = {f"{method} {route}" for method, route, _url in operations}
    assert set(API_INPUT) | API_UPLOADS <= routes, "an operation named here is gone"
    for users_page in ("appeals:detail", "spaces:closure_remove", "orgs:taskforce_remove_member", "activities:tick"):
        assert users_page in {name for name, _url in pages}
    # Every user is signed in (and holds an API token) before counting: that writes nothing after.
    clients = {who: (Client(), api_client(user)) for who, user in outside.users.items()}
    for (page, _api), user in zip(clients.values(), outside.users.values(), strict=True):
        page.force_login(user)
    audit_rows, pii_rows = AuditEvent.objects.count(), PiiAccess.objects.count()
    wrong = []
    for who, (page, api) in clients.items():
        for name, url in pages:
            answers = {page.get(url).status_code, page.post(url, {"reason": "x", "note": "x"}).status_code}
            # 405: the page does not serve that method; it must refuse the one it serves.
            if not (answers - {405}) or not answers <= REFUSED | {405}:
                wrong.append(f"{who} {name} {url}: {sorted(answers)}")
        for operation in operations:
            method, route, url = operation
            body = API_INPUT.get(f"{method} {route}")
            data = json.dumps(body if isinstance(body, dict) else {})

            def call(target: str, api: Client = api, method: str = method, data: str = data) -> int:
                return int(api.generic(method, target, data=data, content_type="application/json").status_code)

            got, as_missing = call(url), call(missing_urls[operation][2])
            allowed = REFUSED | ({422} if f"{method} {route}" in API_UPLOADS else set())
            if got not in allowed or got != as_missing:
                wrong.append(f"{who} {method} {url}: {got} (an id no row has: {as_missing})")
    assert wrong == [], "\n".join(wrong)
    assert (AuditEvent.objects.count(), PiiAccess.objects.count()) == (audit_rows, pii_rows)
    for kind in ("appeal", "booking", "registration", "message", "resident", "notice", "activity"):
        obj = outside.objects[kind]
        fresh = type(obj).objects.get(pk=obj.pk)
        assert [getattr(fresh, f.attname) for f in fresh._meta.concrete_fields] == [
            getattr(obj, f.attname) for f in obj._meta.concrete_fields
        ], kind


def test_the_walk_names_its_unfillable_parameters() -> None:
    """A page whose parameter the walk does not know is reported, not skipped."""
    assert _page_kind("pairing:detail", "pair_id") is None
    assert _page_kind("accounts:token_revoke", "pk") == "token"
    assert _page_kind("accounts:user_detail", "pk") == "account"
    assert _page_kind("appeals:config_route_remove", "pk") == "route"
    assert _page_kind("appeals:detail", "pk") == "appeal"


def test_a_page_of_ones_own_object_refuses_a_part_of_another_communitys(objects: Objects, outside: Outside) -> None:
    """The nested pages (a grant of an account, a member of a task force, a closure of a space, a summons
    of an appeal …) with this community's parent and the other community's part: the part is looked up
    under its parent, so staff who may act on the parent still get 404 and nothing is written."""
    from anju.audit.models import AuditEvent

    mixed = {**outside.objects}
    for kind in ("account", "task_force", "space", "appeal", "activity", "notice", "station"):
        mixed[kind] = objects.own[kind]
    nested = []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        params = list(getattr(endpoint.pattern.pattern, "converters", {}))
        if endpoint.name.startswith("api:") or len(params) < 2 or endpoint.name in UNSCOPED:
            continue
        if getattr(endpoint.callback, "anju_permission", None) == policy.PUBLIC:
            continue
        kinds = [_param_kind(endpoint.name, p) for p in params]
        kwargs = {
            p: PLAIN_PARAMS[p] if k == "plain" else _value(str(k), mixed) for p, k in zip(params, kinds, strict=True)
        }
        nested.append((endpoint.name, reverse(endpoint.name, kwargs=kwargs), endpoint.callback.anju_permission))
    names = {name for name, _url, _action in nested}
    assert {
        "accounts:user_revoke",
        "orgs:taskforce_remove_member",
        "spaces:closure_remove",
        "spaces:photo",
        "appeals:photo",
        "appeals:rate",
        "bulletin:photo",
    } <= names
    staff = [objects.users[Role.ADMIN], objects.users[Role.COMMUNITY_WORKER]]
    assert all(policy.can(staff[0], action) for _name, _url, action in nested)
    before = AuditEvent.objects.count()
    wrong = []
    for user in staff:
        client = Client()
        client.force_login(user)
        for name, url, action in nested:
            answers = {client.get(url).status_code, client.post(url, {"reason": "x", "note": "x"}).status_code}
            refusal = 404 if policy.can(user, action) else 403  # outside reach, or without the action at all
            if not answers - {405} or not answers <= {refusal, 405}:
                wrong.append(f"{user.username} {name} {url}: {sorted(answers)}")
    assert wrong == [], "\n".join(wrong)
    assert AuditEvent.objects.count() == before
