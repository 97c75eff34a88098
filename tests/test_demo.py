"""The demo community, and what each role's home page offers."""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from anju.access.roles import Role
from anju.accounts.models import RoleGrant, User
from anju.activities.demo import ELDERLY_CLASS, FAMILY_DOCTOR, PAST_SAFETY, SUMMER_CARE, WALK_IN_NAME
from anju.activities.models import Activity, Registration
from anju.audit.models import AuditEvent
from anju.bulletin.demo import NOTICES as DEMO_NOTICES
from anju.bulletin.models import Notice, NoticePhoto
from anju.core import nav as navigation
from anju.orgs.models import Department, OrgUnit, TaskForce, UnitKind
from anju.site.demo import ACCOUNTS, DEMO_PASSWORD, load_demo
from anju.spaces.models import Space, SpacePhoto, Station

pytestmark = pytest.mark.django_db

STATION_SPACES = {
    "党员活动室",
    "矛盾纠纷调解室",
    "儿童学习区",
    "阅览室",
    "便民休闲区",
    "共享客厅",
    "共享厨房",
    "共享花园",
    "共享农场",
    "共享果园",
    "议事亭",
}


def _quiet_demo() -> dict[str, Any]:
    return load_demo(log=lambda *args: None)


def _counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def loaded() -> dict[str, Any]:
    return _quiet_demo()


def test_second_load_creates_nothing(loaded: dict[str, Any]) -> None:
    assert loaded["created"] is True
    named = [OrgUnit, Department, User, RoleGrant, Space, Station, TaskForce, AuditEvent, Activity, Registration]
    named += [Notice, NoticePhoto, SpacePhoto]
    before = _counts()
    for model in named:
        assert before[model._meta.label] > 0, model
    again = _quiet_demo()
    assert again["created"] is False
    assert again["logins"] == loaded["logins"]
    assert _counts() == before  # every table, the named ones and all others
    out = StringIO()
    call_command("demo", stdout=out)  # the command on an existing demo: checks, prints, adds nothing
    assert all(acc.username in out.getvalue() for acc in ACCOUNTS)
    assert _counts() == before


def test_demo_contents(loaded: dict[str, Any]) -> None:
    # One load for all three checks keeps the suite quick.
    _check_every_role_once(loaded)
    _check_tree()
    _check_station_spaces()
    _check_consultation()


def _check_consultation() -> None:
    """The 2023 station consultation: two bench meetings with minutes, every decision done, the summary posted."""
    from anju.consult.models import Decision, Meeting

    bench = Meeting.objects.filter(kind=Meeting.Kind.BENCH, starts_at__year=2023)
    assert bench.count() == 2
    assert all(m.minutes and m.head_count for m in bench)
    assert Decision.objects.filter(meeting__in=bench).count() == 4
    assert not Decision.objects.filter(meeting__in=bench).exclude(status=Decision.Status.DONE).exists()
    assert bench.filter(notice__isnull=False).count() == 1


def _check_every_role_once(loaded: dict[str, Any]) -> None:
    assert sorted(acc.role for acc in ACCOUNTS) == sorted(Role.values)
    usernames = [acc.username for acc in ACCOUNTS]
    # Every role once, then 王秀英's daughter, who has no role and acts for her mother (子女代办).
    assert [login["username"] for login in loaded["logins"]] == [*usernames, "daughter"]
    grants = RoleGrant.objects.filter(user__username__in=usernames)
    assert sorted(grants.values_list("role", flat=True)) == sorted(Role.values)
    liaison = grants.get(role=Role.DEPARTMENT_LIAISON)
    assert liaison.department is not None
    # Demo people are fictional: mobile numbers only from the 170 block reserved for virtual operators.
    for user in User.objects.filter(username__in=usernames):
        assert user.mobile == "" or user.mobile.startswith("170")


def test_every_demo_login_signs_in_and_lands_home(loaded: dict[str, Any]) -> None:
    assert loaded["password"] == DEMO_PASSWORD
    for login in loaded["logins"]:
        client = Client()
        response = client.post(reverse("accounts:login"), {"username": login["username"], "password": DEMO_PASSWORD})
        assert response.status_code == 302, login["username"]
        assert response["Location"] == reverse("core:home")
        home = client.get(response["Location"])
        assert home.status_code == 200, login["username"]
        assert home.context["user"].username == login["username"]
    assert AuditEvent.objects.filter(action="account.login").count() == len(loaded["logins"])
    assert not AuditEvent.objects.filter(action="account.login_failed").exists()


def _check_tree() -> None:
    area = OrgUnit.objects.get(name="原种场片区")
    assert area.kind == UnitKind.AREA
    chain = [*area.ancestors(), area]
    assert [u.name for u in chain] == ["湖北省", "黄冈市", "黄州区", "安居社区", "原种场片区"]
    assert [u.kind for u in chain] == ["province", "city", "district", "community", "area"]
    community = chain[3]
    assert area.community_id == community.pk
    grids = list(OrgUnit.objects.filter(parent=area, kind=UnitKind.GRID))
    assert len(grids) >= 2
    for grid in grids:
        buildings = OrgUnit.objects.filter(parent=grid, kind=UnitKind.BUILDING)
        assert buildings.exists(), grid.name
        assert all(b.community_id == community.pk for b in buildings)
    # The task force and the departments are there too.
    assert TaskForce.objects.filter(community=community, name="四位一体专班").get().members.count() >= 4
    assert Department.objects.filter(unit=chain[2]).count() >= 5


def _check_station_spaces() -> None:
    station = Station.objects.get(community__name="安居社区")
    spaces = {s.name: s for s in Space.objects.filter(station=station).select_related("part_of")}
    assert set(spaces) == STATION_SPACES
    living_room = spaces["共享客厅"]
    assert spaces["阅览室"].part_of == living_room
    assert spaces["便民休闲区"].part_of == living_room
    assert {name for name, s in spaces.items() if s.part_of is not None} == {"阅览室", "便民休闲区"}
    assert all(s.community_id == station.community_id for s in spaces.values())
    # Drawn photos, stored through the photo pipeline (re-encoded, measured) on a few spaces.
    photos = {name: list(SpacePhoto.objects.filter(space=s)) for name, s in spaces.items()}
    assert len(photos["共享花园"]) == 2
    assert sum(1 for p in photos.values() if p) >= 3
    garden = photos["共享花园"][0]
    assert garden.width > 0
    assert garden.height > 0
    with garden.image.open("rb") as f:
        assert Image.open(f).format in {"JPEG", "PNG", "WEBP"}


def test_demo_activities_and_notices(loaded: dict[str, Any]) -> None:
    from django.utils import timezone

    worker = User.objects.get(username="worker")
    activities = {a.title: a for a in Activity.objects.filter(community__name="安居社区")}
    assert {ELDERLY_CLASS, SUMMER_CARE, FAMILY_DOCTOR, PAST_SAFETY} <= set(activities)
    assert all(a.organiser == worker for a in activities.values())
    # The elderly class: every Tuesday for eight weeks, for the elderly, some already registered.
    elderly = activities[ELDERLY_CLASS]
    sessions = list(elderly.sessions.order_by("starts_at"))
    assert len(sessions) == 8
    assert {timezone.localtime(s.starts_at).weekday() for s in sessions} == {1}
    assert [t.name for t in elderly.target_tags.all()] == ["老人"]
    assert elderly.space is not None
    assert elderly.space.name == "党员活动室"  # booked through the booking service
    assert Registration.objects.filter(session=sessions[0], status=Registration.Status.CONFIRMED).exists()
    # Summer day-care in July and August, children collected by a guardian.
    care = activities[SUMMER_CARE]
    assert care.guardian_checkout
    assert {timezone.localtime(s.starts_at).month for s in care.sessions.all()} == {7, 8}
    assert activities[FAMILY_DOCTOR].sessions.get().starts_at > timezone.now()
    # The past activity: attendance and a published summary with photos, linked to it.
    past = activities[PAST_SAFETY]
    session = past.sessions.get()
    assert session.ends_at < timezone.now()
    regs = Registration.objects.filter(session=session)
    assert regs.filter(checked_in_at__isnull=False).exclude(status=Registration.Status.WALK_IN).count() >= 3
    assert regs.filter(status=Registration.Status.CONFIRMED, checked_in_at__isnull=True).count() == 2
    assert regs.get(status=Registration.Status.WALK_IN).name == WALK_IN_NAME
    summary = Notice.objects.get(activity=past)
    assert summary.category == Notice.Category.ACTIVITY
    assert summary.cover
    assert NoticePhoto.objects.filter(notice=summary).count() == 3
    assert summary.publish_at > session.ends_at
    # Notices: pinned ones with a cover, for an area and for a tag, an expired one and a scheduled one.
    # The bulletin's own notices (other loaders, e.g. an honour campaign's 公示, add theirs).
    notices = Notice.objects.filter(community__name="安居社区", title__in=[n["title"] for n in DEMO_NOTICES])
    assert notices.filter(pinned=True).exclude(cover="").exists()
    assert notices.filter(audience=Notice.Audience.AREA).exists()
    assert notices.filter(audience=Notice.Audience.TAG, tag__name="老人").exists()
    expired = notices.get(expires_at__lt=timezone.now())
    scheduled = notices.get(publish_at__gt=timezone.now())
    assert notices.filter(read_count__gt=0).count() >= 3
    resident = Client()
    resident.force_login(User.objects.get(username="resident"))
    board = resident.get("/notices/").content.decode()
    assert summary.title in board
    assert expired.title not in board
    assert scheduled.title not in board
    # Done by a staff member, audited as such: no anonymous rows from these loaders.
    for action in ("activity.created", "activity.registered", "activity.checked_in", "notice.published"):
        rows = AuditEvent.objects.filter(action=action)
        assert rows.exists(), action
        assert not rows.filter(actor__isnull=True).exists(), action
    assert AuditEvent.objects.get(action="notice.summary_published").actor == worker


def test_demo_command_prints_the_logins(db: Any) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for acc in ACCOUNTS:
        assert acc.username in text
    assert OrgUnit.objects.filter(name="安居社区").count() == 1


# --- each role's home page and navigation ---------------------------------------------------


class _Links(HTMLParser):
    """Collects the hrefs of the main navigation and of the whole page."""

    def __init__(self) -> None:
        super().__init__()
        self.nav: list[str] = []
        self.all: list[str] = []
        self._nav_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "nav" and (self._nav_depth or "nav" in (attr.get("class") or "").split()):
            self._nav_depth += 1
        if tag == "a" and attr.get("href"):
            href = attr["href"] or ""
            self.all.append(href)
            if self._nav_depth:
                self.nav.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1


HOME, ME = "core:home", "accounts:profile"
STATIONS, TREE, DEPTS, TFS = "spaces:stations", "orgs:tree", "orgs:departments", "orgs:taskforces"
USERS, AUDIT, PII, JOBS = "accounts:users", "audit:events", "audit:pii", "jobs:status"

EXPECTED_NAV = {
    Role.RESIDENT: {HOME, STATIONS, ME},
    Role.VOLUNTEER: {HOME, STATIONS, TREE, DEPTS, ME},
    Role.GRID_WORKER: {HOME, STATIONS, TREE, DEPTS, TFS, ME},
    Role.COMMUNITY_WORKER: {HOME, STATIONS, TREE, DEPTS, TFS, ME},
    Role.BRANCH_SECRETARY: {HOME, STATIONS, TREE, DEPTS, TFS, USERS, ME},
    Role.DEPARTMENT_LIAISON: {HOME, TREE, DEPTS, ME},
    Role.SUPERVISOR: {HOME, STATIONS, TREE, DEPTS, TFS, USERS, AUDIT, PII, ME},
    Role.ADMIN: {HOME, STATIONS, TREE, DEPTS, TFS, USERS, AUDIT, PII, JOBS, ME},
}
HOME_KIND = {
    Role.RESIDENT: "resident",
    Role.VOLUNTEER: "volunteer",
    Role.GRID_WORKER: "worker",
    Role.COMMUNITY_WORKER: "worker",
    Role.BRANCH_SECRETARY: "worker",
    Role.DEPARTMENT_LIAISON: "department",
    Role.SUPERVISOR: "supervisor",
    Role.ADMIN: "admin",
}


def test_expectations_cover_every_role() -> None:
    assert set(EXPECTED_NAV) == set(Role) == set(HOME_KIND)


def test_home_page_per_role_shows_only_usable_links(loaded: dict[str, Any]) -> None:
    # One demo load for all roles (a parametrised test would load it once per role).
    for role in Role:
        _check_home(role)
    _check_resident_and_supervisor_links()


def _check_home(role: Role) -> None:
    account = next(acc for acc in ACCOUNTS if acc.role == role)
    user = User.objects.get(username=account.username)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert response.context["home_kind"] == HOME_KIND[role]

    links = _Links()
    links.feed(response.content.decode())
    nav = set(links.nav)
    # The foundation's entries, spelled out per role ...
    known = {reverse(name) for name in EXPECTED_NAV[Role.ADMIN]}
    assert nav & known == {reverse(name) for name in EXPECTED_NAV[role]}
    # ... and every entry (later apps add theirs) shown exactly when the policy allows it.
    all_entries = {reverse(item.url_name) for item in navigation.entries()}
    assert nav <= all_entries
    hidden = all_entries - nav
    # Every link on the page (navigation or body) opens for this user; none leads to a 403 or 404.
    internal = {href.split("#")[0] for href in links.all if href.startswith("/") and not href.startswith("/static/")}
    assert not internal & hidden
    for href in sorted(internal):
        assert client.get(href).status_code == 200, f"{role}: {href}"
    # The pages kept out of the navigation are refused, not merely hidden.
    for href in sorted(hidden):
        assert client.get(href).status_code == 403, f"{role}: {href}"


def _check_resident_and_supervisor_links() -> None:
    client = Client()
    client.force_login(User.objects.get(username="resident"))
    body = client.get(reverse("core:home")).content.decode()
    assert 'href="/audit/' not in body
    assert 'href="/orgs/' not in body
    supervisor = Client()
    supervisor.force_login(User.objects.get(username="supervisor"))
    assert 'href="/audit/"' in supervisor.get(reverse("core:home")).content.decode()
