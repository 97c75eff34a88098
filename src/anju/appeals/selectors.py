"""Reads shared by the pages and the API: who sees which appeals, the queues, the list's search and filters,
deadlines, the resident's progress line and the appeal's timeline. The three rates read the roll-ups in
``appeals.rates.selectors``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from anju.access import policy
from anju.access.roles import STAFF_ROLES, Role
from anju.accounts.services import mobile_index as account_mobile_index
from anju.appeals.models import (
    AWAITING_CALLBACK,
    OPEN_STATUSES,
    Appeal,
    AppealAssist,
    AppealEvent,
    AppealFollower,
    AppealPhoto,
    Callback,
    Category,
    Escalation,
    Status,
    Summons,
    SummonsEscalation,
)
from anju.appeals.policies import holds, liaison_departments
from anju.core import crypto, screening, stamp
from anju.core.masking import is_valid_mainland_mobile, normalise_mobile
from anju.core.params import parse_id
from anju.orgs.models import Department, OrgUnit, UnitKind
from anju.people.services import mobile_index as resident_mobile_index

_BASE = ("community", "category", "location", "department")


# --- deadlines: overdue, due soon, on time ----------------------------------------------------------

DUE_SOON = dt.timedelta(hours=24)
"""An open appeal whose next deadline falls within this span is "due soon"; one past it is "overdue",
never both (home card, lists, badges)."""

OVERDUE, DUE_SOON_STATE, ON_TIME = "overdue", "soon", "on_time"
DEADLINE_STATES = (OVERDUE, DUE_SOON_STATE, ON_TIME)


def deadline_state(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``overdue``, ``soon`` or ``on_time`` for a deadline; "" without one."""
    if due is None:
        return ""
    now = now or timezone.now()
    if due < now:
        return OVERDUE
    return DUE_SOON_STATE if due < now + DUE_SOON else ON_TIME


def deadline_q(state: str, now: dt.datetime | None = None) -> Q:
    """The appeals whose next deadline is in ``state`` (closed appeals have none)."""
    now = now or timezone.now()
    if state == OVERDUE:
        return Q(due_at__lt=now)
    if state == DUE_SOON_STATE:
        return Q(due_at__gte=now, due_at__lt=now + DUE_SOON)
    if state == ON_TIME:
        return Q(due_at__gte=now + DUE_SOON)
    return Q()


def communities_in_reach(user: Any, roles: set[str]) -> list[int] | None:
    """The ids of the communities a staff member of ``roles`` reaches (upward too: a grid worker sees their
    community's appeals), from the one reach module; ``None``: every community (a superuser)."""
    return policy.reach_ids(
        user, OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), roles=roles, upward=True, name="communities"
    )


def filter_choices(user: Any) -> Mapping[str, tuple[tuple[int, str], ...]]:
    """The departments and grids the user reaches and the categories, for the list's filters: reference data,
    kept by the process until one of their tables changes (``core.stamp``)."""

    def compute() -> Mapping[str, tuple[tuple[int, str], ...]]:
        departments = (
            Department.objects.filter(is_active=True)
            .filter(policy.reach_q(user, "unit__path", action="appeal.view"))
            .order_by("name")
            .values_list("pk", "name")
        )
        grids = (
            OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True)
            .filter(policy.reach_q(user, "path", action="appeal.view"))
            .order_by("path")
            .values_list("pk", "name")
        )
        categories = Category.objects.filter(is_active=True).order_by("sort_order", "name").values_list("pk", "name")
        return MappingProxyType(
            {"departments": tuple(departments), "grids": tuple(grids), "categories": tuple(categories)}
        )

    # Whose reach: the grants are the stamp's, a superuser's whole tree is the account's own flag.
    return stamp.remember(user, ("appeal-filter-choices", user.pk, policy.is_superuser(user)), compute)


def in_communities(ids: list[int] | None) -> Q:
    """Rows of the communities ``ids`` by their indexed key (``None``: every community)."""
    return Q() if ids is None else Q(community_id__in=ids)


def _assisted_by(depts: set[int]) -> Exists:
    return Exists(AppealAssist.objects.filter(appeal_id=OuterRef("pk"), department_id__in=depts))


#: Up to this many followed appeals are matched by their ids; beyond, by ``EXISTS``.
FOLLOWED_BY_IDS = 1000


def _followed_by(user: Any) -> Q:
    """The appeals the user follows. By their ids (one small index scan first) so that the list's filter is an
    ``OR`` of indexed keys PostgreSQL answers with a bitmap of indexes; an ``EXISTS`` under ``OR`` cannot be made a
    join and made "all I can see" read every appeal (0.43 s at 10^6 for one community's worker)."""
    ids = list(
        AppealFollower.objects.filter(user_id=user.pk).values_list("appeal_id", flat=True)[: FOLLOWED_BY_IDS + 1]
    )
    if len(ids) > FOLLOWED_BY_IDS:
        return Q(Exists(AppealFollower.objects.filter(appeal_id=OuterRef("pk"), user_id=user.pk)))
    return Q(pk__in=ids) if ids else Q(pk__in=[])


def own_appeal_ids(user: Any) -> QuerySet[Any]:
    """The ids of the appeals the user filed, asked for or follows: a ``UNION`` of three small index scans."""
    return (
        Appeal.objects.filter(requester_id=user.pk)
        .order_by()
        .values("pk")
        .union(
            Appeal.objects.filter(filed_by_id=user.pk).order_by().values("pk"),
            AppealFollower.objects.filter(user_id=user.pk).order_by().values("appeal_id"),
        )
    )


def appeals_visible(user: Any) -> QuerySet[Appeal]:
    """Every appeal the user may see: staff and supervisors their communities', liaisons their
    departments', residents their own and those they follow.

    One filter on the appeal rows themselves, each part answered by an index: the communities' ids (not a
    path pattern through a join), the departments, and ``EXISTS`` for assists and followers (never a
    ``pk IN (…)`` over every appeal), so an ordered, limited list reads only about a page of rows."""
    qs = Appeal.objects.select_related(*_BASE)
    if policy.is_superuser(user):
        return qs
    ids = communities_in_reach(user, {*STAFF_ROLES, Role.SUPERVISOR})
    depts = liaison_departments(user)
    if ids == [] and not depts:  # a resident: her own and those she follows, by the union of their ids
        return qs.filter(pk__in=own_appeal_ids(user)) if user.is_authenticated else qs.none()
    q: Any = Q(pk__in=[]) if ids == [] else in_communities(ids)
    if depts:
        q |= Q(department_id__in=depts) | _assisted_by(depts)
    if user.is_authenticated:
        q |= _own_beyond(user, ids)
    return qs.filter(q)


#: Up to this many of the user's own appeals outside her communities are matched by their ids; beyond, by keys.
OWN_BY_IDS = 1000


def _own_beyond(user: Any, ids: list[int] | None) -> Q:
    """The appeals the user filed, asked for or follows that her communities ``ids`` do not cover already.

    Found first, by their ids (one small query over the requester, filer and follower indexes), so that for a
    worker whose own appeals all lie in her communities — the usual case — the list's filter is only
    ``community_id IN (…)`` and PostgreSQL reads a page in the order of the (community, received) index. Under
    an ``OR`` with the requester and the filer it walked every appeal by date instead: 33 ms against 4 ms for one
    category of one community at 10^6 appeals."""
    if ids is None:  # every community: nothing lies beyond
        return Q(pk__in=[])
    found = _own_ids_beyond(user.pk, ids)
    if len(found) > OWN_BY_IDS:
        return Q(requester_id=user.pk) | Q(filed_by_id=user.pk) | _followed_by(user)
    return Q(pk__in=found)


def _own_ids_beyond(user_id: int, ids: list[int]) -> list[int]:
    """Up to ``OWN_BY_IDS + 1`` ids of the appeals the user filed, asked for or follows outside the communities
    ``ids``: one statement written here, as every "all I can see" list of a member of staff asks it. The ORM
    took some 2 ms to build the same ``UNION``, twice the database's own time. A follower row carries its
    appeal's community (an appeal never moves to another), so the followers are read without the appeals."""
    marks = ", ".join(["%s"] * len(ids))
    beyond = f" AND community_id NOT IN ({marks})" if ids else ""
    appeals, followers = Appeal._meta.db_table, AppealFollower._meta.db_table
    sql = (
        f"SELECT id FROM {appeals} WHERE (requester_id = %s OR filed_by_id = %s){beyond}"  # noqa: S608  fixed names
        f" UNION SELECT appeal_id FROM {followers} WHERE user_id = %s{beyond} LIMIT %s"
    )
    with connections[Appeal.objects.db].cursor() as cursor:
        cursor.execute(sql, [user_id, user_id, *ids, user_id, *ids, OWN_BY_IDS + 1])
        return [row[0] for row in cursor.fetchall()]


#: The work queues' order: what is due first (no deadline last), then the oldest number.
DUE_FIRST = (F("due_at").asc(nulls_last=True), "id")


def worker_queue(user: Any) -> QuerySet[Appeal]:
    """Open appeals of the worker's communities, what is due first."""
    ids = communities_in_reach(user, set(STAFF_ROLES))
    qs = Appeal.objects.select_related(*_BASE)
    if ids == []:
        return qs.none()
    return qs.filter(in_communities(ids), status__in=sorted(OPEN_STATUSES)).order_by(*DUE_FIRST)


def department_queue(user: Any) -> QuerySet[Appeal]:
    depts = liaison_departments(user)
    return (
        Appeal.objects.select_related(*_BASE)
        .filter(Q(department_id__in=depts) | _assisted_by(depts))
        .filter(status__in=sorted(OPEN_STATUSES))
        .order_by(*DUE_FIRST)
    )


def my_appeals(user: Any) -> QuerySet[Appeal]:
    return Appeal.objects.select_related(*_BASE).filter(pk__in=own_appeal_ids(user)).order_by("-received_at", "-id")


# --- the list: queues, search and filters (the page, its export and its bulk actions share them) ------

LIST_RELATED = (*_BASE, "grid", "requester", "requester_resident")
QUEUES = ("worker", "department", "mine", "all")


def queue(user: Any, view: str) -> tuple[str, QuerySet[Appeal]]:
    """The list ``view`` the user asked for, if it is one of theirs (else "all I can see"): (view, rows)."""
    if view == "worker" and policy.can(user, "appeal.triage"):
        return view, worker_queue(user)
    if view == "department" and liaison_departments(user):
        return view, department_queue(user)
    if view == "mine":
        return view, my_appeals(user)
    return "all", appeals_visible(user).order_by("-received_at", "-id")


@dataclass(frozen=True, kw_only=True)
class AppealFilter:
    """What the list is narrowed to; every field optional. ``q`` matches the appeal number, the text and the
    address (and, for insiders only, the requester's name or mobile number)."""

    q: str = ""
    status: str = ""
    category_id: int | None = None
    department_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    urgency: str = ""
    deadline: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    pending: bool = False


_NUMBER = re.compile(r"[Aa]?0*([0-9]{1,18})")


def search_q(text: str, *, insider: bool) -> Q:
    """Appeals matching ``text``: the number ("A00000012", matched by number only, or "12"), words of the
    description or the address or the place; for insiders also the requester (a name, or a whole mobile number
    through its keyed hash, never decrypting)."""
    text = text.strip()
    number = _NUMBER.fullmatch(text)
    if number and parse_id(number.group(1)) and text[:1] in "Aa":
        # An appeal number as shown ("A00000012"): that appeal, by its key (no scan of every row's text).
        return Q(pk=int(number.group(1)))
    q = Q(description__icontains=text) | Q(address__icontains=text) | Q(location__name__icontains=text)
    if number and parse_id(number.group(1)):
        q |= Q(pk=int(number.group(1)))
    if insider:
        q |= Q(requester__display_name__icontains=text) | Q(requester_resident__name__icontains=text)
        mobile = normalise_mobile(text)
        if is_valid_mainland_mobile(mobile):
            q |= (
                Q(contact_mobile_index=crypto.blind_index(mobile, purpose="appeal-mobile"))
                | Q(requester__mobile_index=account_mobile_index(mobile))
                | Q(requester_resident__mobile_index=resident_mobile_index(mobile))
            )
    return q


def filter_appeals(qs: QuerySet[Appeal], f: AppealFilter, *, insider: bool) -> QuerySet[Appeal]:
    """``qs`` narrowed by ``f``, with what each row of the list shows loaded in the same query."""
    if f.q:
        qs = qs.filter(search_q(f.q, insider=insider))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.pending:
        qs = qs.filter(status__in=list(AWAITING_CALLBACK))
    for value, lookup in (
        (f.category_id, "category_id"),
        (f.department_id, "department_id"),
        (f.community_id, "community_id"),
        (f.grid_id, "grid_id"),
    ):
        if value:
            qs = qs.filter(**{lookup: value})
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.deadline in DEADLINE_STATES:
        qs = qs.filter(deadline_q(f.deadline), status__in=list(OPEN_STATUSES))
    if f.start:
        qs = qs.filter(received_at__gte=local_day_start(f.start))
    if f.end:
        qs = qs.filter(received_at__lt=local_day_start(f.end + dt.timedelta(days=1)))
    return qs.select_related(*LIST_RELATED)


#: What a row of the list page shows, and only that: the appeal's state and deadline, its category, place and
#: department by name, and what its masked requester is read from (:data:`REQUESTER_FIELDS`, for insiders only).
#: Every column of the seven joined tables (a place's whole org unit, the requester's whole account and registry
#: entry) cost a page 5-7 ms to fetch and decode; the export reads the full rows of :func:`filter_appeals`.
LIST_ROW_FIELDS = (
    "status",
    "urgency",
    "address",
    "due_at",
    "category_id",
    "location__name",
    "department_id",
)
REQUESTER_FIELDS = (
    "contact_name_sealed",
    "contact_mobile_sealed",
    "requester__display_name",
    "requester__username",
    "requester__mobile_sealed",
    "requester_resident__name",
    "requester_resident__status",
    "requester_resident__mobile_sealed",
)


def list_rows(qs: QuerySet[Appeal], *, insider: bool) -> QuerySet[Appeal]:
    """``qs`` loading only what a row of the list page shows, in the same query: the requester's columns (and
    their two joins) only for an insider, the one reader the page shows them to. The category and the department
    come by their keys alone; :func:`with_row_names` gives the rows their names."""
    fields = (*LIST_ROW_FIELDS, *REQUESTER_FIELDS) if insider else LIST_ROW_FIELDS
    related = {name.split("__")[0] for name in fields if "__" in name}
    return qs.select_related(None).select_related(*sorted(related)).only(*fields)


@dataclass(frozen=True)
class RowNames:
    """What a list row shows of its category and department, by key: reference data the process keeps."""

    categories: Mapping[int, tuple[str, str]]  # id: (code, name)
    departments: Mapping[int, str]  # id: name


def row_names(user: Any) -> RowNames:
    """Every category's code and name and every department's name, inactive ones too (an old appeal keeps
    its own): kept by the process until one of their tables changes (``core.stamp``). Two joins on the page's
    query cost it more than its whole execution (0.7 ms of planning on PostgreSQL), and two related objects
    built on each row."""

    def compute() -> RowNames:
        categories = {pk: (code, name) for pk, code, name in Category.objects.values_list("pk", "code", "name")}
        departments = dict(Department.objects.values_list("pk", "name"))
        return RowNames(MappingProxyType(categories), MappingProxyType(departments))

    return stamp.remember(user, ("appeal-row-names",), compute)


def with_row_names(appeals: list[Appeal], user: Any) -> None:
    """Give ``appeals`` (read by :func:`list_rows`) their category and department, each built once for the page
    from :func:`row_names`: not saved, not shared with another request."""
    names = row_names(user)
    categories: dict[int, Category] = {}
    departments: dict[int | None, Department | None] = {None: None}
    for a in appeals:
        category = categories.get(a.category_id)
        if category is None:
            code, name = names.categories.get(a.category_id, ("", "—"))
            category = categories[a.category_id] = Category(pk=a.category_id, code=code, name=name)
        a.category = category
        key = a.department_id
        if key is not None and key not in departments:
            departments[key] = Department(pk=key, name=names.departments.get(key, "—"))
        a.department = departments[key]


@dataclass(frozen=True)
class ProgressStep:
    """One stop on a resident's progress line."""

    key: str
    label: str
    at: dt.datetime | None
    state: str  # "done", "current" (the appeal is here now) or "todo"


def progress_line(appeal: Appeal) -> list[ProgressStep]:
    """The plain progress line a resident reads: received → accepted → with the department → answered →
    closed, each with its date once reached. A rejected or duplicate appeal ends after "received" with the
    reason's stop. No deadlines, no internal steps."""
    stops: list[tuple[str, str, dt.datetime | None]] = [
        ("received", pgettext("appeal progress", "Received"), appeal.received_at)
    ]
    status = appeal.status
    if status in (Status.REJECTED, Status.DUPLICATE):
        label = _("Not taken up") if status == Status.REJECTED else _("Same problem as another appeal")
        stops.append(("closed", label, appeal.closed_at or appeal.accepted_at))
        return [ProgressStep(k, lbl, at, "done") for k, lbl, at in stops]
    stops += [
        ("accepted", pgettext("appeal progress", "Accepted"), appeal.accepted_at),
        ("department", _("With the department"), appeal.dispatched_at),
        ("answered", _("Answered"), appeal.handled_at),
        ("closed", pgettext("appeal progress", "Closed"), appeal.closed_at),
    ]
    if status in (Status.REOPENED, Status.REFERRED):  # back with the community: the later stops start over
        reached = 2 if status == Status.REOPENED else 1
    elif status == Status.RECEIVED:
        reached = 0
    elif status == Status.ACCEPTED:
        reached = 1
    elif status in (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS, Status.WAITING):
        reached = 2
    elif status in AWAITING_CALLBACK:
        reached = 3
    else:  # closed, resolved or not
        reached = 4
    line = []
    for i, (key, label, at) in enumerate(stops):
        state = "done" if i < reached or (i == reached == 4) else ("current" if i == reached else "todo")
        line.append(ProgressStep(key, label, at if i <= reached else None, state))
    return line


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the display zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


#: How long before its receipt an appeal's first step may be stamped: none is (each is stamped when it happens,
#: the receipt first), but a clock set back must not hide one.
STEPS_BEFORE_RECEIPT = dt.timedelta(days=1)


def steps_of(appeal: Appeal) -> QuerySet[AppealEvent]:
    """The appeal's steps, bounded below by its receipt: on PostgreSQL the steps are partitioned by month, and
    without a bound on their time a query by appeal was planned over every month's partition (2.3 ms of the
    appeal's page in a city three years on); with it, over the months since the appeal came in."""
    return appeal.events.filter(at__gte=appeal.received_at - STEPS_BEFORE_RECEIPT)


def timeline(appeal: Appeal, *, internal: bool) -> QuerySet[Any]:
    qs = steps_of(appeal).select_related("department").order_by("at", "id")
    return qs if internal else qs.filter(public=True)


@dataclass
class OverdueCounts:
    """Open appeals past their next deadline, and those due within :data:`DUE_SOON`, kept apart."""

    overdue: int
    due_soon: int
    by_department: dict[int, int]


def overdue_counts(user: Any, *, now: dt.datetime | None = None) -> OverdueCounts:
    """The open appeals of the user's reach for the rates (``appeal.rates``) that are overdue, by lead
    department, and the number due within a day: one grouped query."""
    now = now or timezone.now()
    ids = policy.reach_ids(
        user, OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), action="appeal.rates", name="communities"
    )
    qs = Appeal.objects.filter(in_communities(ids), status__in=sorted(OPEN_STATUSES), due_at__lt=now + DUE_SOON)
    by_department: dict[int, int] = {}
    overdue = due_soon = 0
    grouped = (
        qs.annotate(late=ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField()))
        .values("department_id", "late")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        if row["late"]:
            overdue += row["n"]
            key = row["department_id"] or 0
            by_department[key] = by_department.get(key, 0) + row["n"]
        else:
            due_soon += row["n"]
    return OverdueCounts(overdue, due_soon, by_department)


def summonses_for(appeal: Appeal) -> QuerySet[Summons]:
    if not holds(appeal, "summonses"):
        return Summons.objects.none()
    return Summons.objects.filter(whistle__appeal=appeal).select_related("department", "whistle").order_by("id")


#: The lists an appeal's page shows beside it, each empty for most appeals (no photo, no assisting department,
#: no whistle, no escalation, no callback yet): the model and the key to the appeal.
PAGE_LISTS = {
    "photos": (AppealPhoto, "appeal_id"),
    "assists": (AppealAssist, "appeal_id"),
    "summonses": (Summons, "whistle__appeal_id"),
    "escalations": (Escalation, "appeal_id"),
    "arrival_escalations": (SummonsEscalation, "appeal_id"),
    "callbacks": (Callback, "appeal_id"),
    "followers": (AppealFollower, "appeal_id"),
}


def with_page_lists(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """``qs`` with one ``EXISTS`` per list of :data:`PAGE_LISTS` on the appeal's own row (an index probe each),
    so that the page reads only the lists that hold something: a query each saved, about 0.7 ms, for most of
    them on most pages. For a page read in the same request as the appeal: a list written later in the request
    is not seen (a step's page redirects, and the next page reads the appeal again)."""
    return qs.annotate(
        **{
            f"holds_{name}": Exists(model._default_manager.filter(**{key: OuterRef("pk")}))
            for name, (model, key) in PAGE_LISTS.items()
        }
    )


@dataclass(frozen=True)
class AppealText:
    """An appeal as another domain may read it for grouping (consult's 每月一题): no requester, numbers masked."""

    id: int
    location_id: int
    category_id: int
    category_name: str
    text: str
    received_at: dt.datetime


def appeal_texts(community_id: int, since: dt.datetime) -> list[AppealText]:
    """The appeals of a community received since ``since`` (duplicates left out), for text grouping."""
    rows = (
        Appeal.objects.filter(community_id=community_id, received_at__gte=since, duplicate_of__isnull=True)
        .select_related("category")
        .only("id", "location_id", "category_id", "category__name", "description", "received_at")
        .order_by("id")
    )
    return [
        AppealText(a.pk, a.location_id, a.category_id, a.category.name, screening.masked(a.description), a.received_at)
        for a in rows
    ]
