"""The three rates against an independent recount, by a property-based test (hypothesis).

Random sequences of intake, dispatch, referral back, re-routing, signing, contact, feedback, verification,
return, callback (satisfied, reopening), followers and their callbacks, duplicates and closing are driven
through the real services (the step table, ``steps.step_take``) on a controllable clock. After each sequence
the dashboard's figures (``rates.selectors.rates_report``: the total, by department and by community, for the
whole time and for a random period) must equal a recount made here from the raw appeal, timeline and
callback rows by the written definitions (docs/rates.md), and ``anju rollup_rebuild`` must write back the
very roll-up the services kept. Runs on SQLite and on PostgreSQL (``DATABASE_URL``).

The recount is written from the definitions, not from the roll-up code: whether a response was in time is
judged here from the signing and contact steps against the SLA policy's hours, never read from the appeal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from anju.access.roles import Role
from anju.appeals import clock, privacy
from anju.appeals.callback import followers
from anju.appeals.models import (
    AWAITING_CALLBACK,
    Appeal,
    AppealEvent,
    Callback,
    Publication,
    SlaPolicy,
    Status,
    Urgency,
)
from anju.appeals.rates.rebuild import monthly_of, rollup_check, rollup_rebuild, stored_daily, stored_monthly
from anju.appeals.rates.selectors import RateRow, complex_marks, rates_report
from anju.appeals.services import InvalidTransition
from anju.appeals.steps import StepInput, step_take
from anju.testing import make_user
from anju.testing.appeals import AppealsWorld, follow, rollup_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

START = dt.datetime(2026, 2, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
#: Minutes the clock moves before a step: at once, within and past the signing hours, past the contact
#: hours, days and weeks (so periods, months and working days are crossed).
ADVANCE = (0, 0, 0, 5, 20, 20, 70, 150, 600, 1600, 3000, 15000)
#: What may be done next to an appeal in each state (one is picked at random; some are then refused, which is
#: part of the test: a refused step changes nothing).
NEXT: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: ("accept", "dispatch_a", "dispatch_a", "dispatch_b", "duplicate"),
    Status.ACCEPTED: ("dispatch_a", "dispatch_b", "dispatch_a"),
    Status.DISPATCHED: ("sign", "sign", "refer", "dispatch_a", "dispatch_b", "complex"),
    Status.REFERRED: ("dispatch_a", "dispatch_b"),
    Status.SIGNED: ("contact", "contact", "feedback", "refer", "complex"),
    Status.IN_PROGRESS: ("feedback", "contact"),
    Status.WAITING: ("feedback",),
    Status.HANDLED: ("verify", "verify", "return", "close"),
    Status.VERIFIED: (
        "callback_satisfied",
        "callback_basic_unresolved",
        "callback_reopen",
        "close",
        "follower_callback",
    ),
    Status.REOPENED: ("sign", "complex"),
    Status.CLOSED_RESOLVED: ("follower_callback",),
    Status.CLOSED_UNRESOLVED: ("follower_callback",),
}
KINDS = ("file", "file", "file_other", "count_followers", "follow", *["step"] * 15)
COMPARED = (
    "received",
    "dispatched",
    "responded",
    "dispatches",
    "misrouted",
    "completed",
    "resolved",
    "ratings",
    "satisfied",
    "reopened",
    "complex_marked",
    "awaiting_callback",
)
ROUTING = {"dispatches", "misrouted"}

Key = tuple[dt.date, int, int]  # day, community, department (0: none)


class Scene:
    """Who acts: the world's staff, both departments' liaisons, a third resident who may follow."""

    def __init__(self, world: AppealsWorld) -> None:
        self.world = world
        self.other = world.other_liaison.grants.get().department
        self.liaisons = {world.tree.department.pk: world.liaison, self.other.pk: world.other_liaison}
        self.third = make_user(Role.RESIDENT, world.tree.building)

    def run(self, ops: Iterable[tuple[str, int, int, int]]) -> None:
        now = START
        with clock.frozen(now):
            appeals: list[int] = [self.world.file().pk]
        for kind, index, choice, minutes in ops:
            now += dt.timedelta(minutes=minutes)
            # A step not possible in this state is refused and changes nothing: part of the test.
            with clock.frozen(now), contextlib.suppress(InvalidTransition, ValidationError):
                self.take(kind, index, choice, appeals)

    def step(self, actor: Any, appeal: Appeal, name: str, **data: Any) -> None:
        step_take(actor=actor, appeal=appeal, step=name, data=StepInput(**data))

    def take(self, kind: str, index: int, choice: int, appeals: list[int]) -> None:
        w = self.world
        op = kind
        if op in ("file", "file_other"):
            appeals.append(w.file(actor=w.resident if op == "file" else w.other_resident).pk)
            return
        if op == "count_followers":
            chosen = privacy.publication_for(w.tree.community).followers_counted
            privacy.publication_set(
                actor=w.admin, community=w.tree.community, level=Publication.Level.OFF, followers_counted=not chosen
            )
            return
        if not appeals:
            return
        if kind == "step":  # a step on an appeal that can still move
            moving = list(Appeal.objects.filter(pk__in=appeals, status__in=list(NEXT)).values_list("pk", flat=True))
            appeals = sorted(moving) or appeals
        a = Appeal.objects.get(pk=appeals[index % len(appeals)])
        if kind == "step":
            options = NEXT.get(a.status, ())
            if not options:
                return
            op = options[choice % len(options)]
        liaison = self.liaisons.get(a.department_id or 0)
        if op == "accept":
            self.step(w.worker, a, "accept")
        elif op in ("dispatch_a", "dispatch_b"):
            department = w.tree.department if op == "dispatch_a" else self.other
            self.step(w.worker, a, "dispatch", department_id=department.pk)
        elif op in ("refer", "sign", "contact", "feedback"):
            if liaison is not None:
                self.step(liaison, a, op, note="不归我们管" if op == "refer" else "已处理")
        elif op in ("verify", "return", "close"):
            self.step(w.worker, a, op, note="" if op == "verify" else "还有问题")
        elif op.startswith("callback_"):
            level, resolved = {
                "callback_satisfied": ("satisfied", True),
                "callback_basic_unresolved": ("basic", False),
                "callback_reopen": ("unsatisfied", index % 2 == 0),
            }[op]
            self.step(w.worker, a, "callback", satisfaction=level, resolved=resolved)
        elif op == "follow":
            user = w.other_resident if index % 2 else self.third
            if user.pk not in (a.requester_id, a.filed_by_id):
                follow(user, a)
        elif op == "follower_callback":
            waiting = followers.followers_to_call(a)
            if waiting:
                level = ("satisfied", "basic", "unsatisfied")[index % 3]
                self.step(
                    w.worker, a, "callback", follower_id=waiting[0].pk, satisfaction=level, resolved=index % 2 == 0
                )
        elif op == "complex":  # by the community or by the lead department, in turn
            actor = liaison if index % 2 and liaison is not None else w.worker
            self.step(actor, a, "complex", note="涉及多个部门")
        elif op == "duplicate":
            original = appeals[(index + 1) % len(appeals)]
            self.step(w.worker, a, "duplicate", original_id=original)


def recount() -> dict[Key, Counter[str]]:
    """The counters by day, community and department, from the rows, by docs/rates.md."""
    out: dict[Key, Counter[str]] = defaultdict(Counter)

    def add(at: dt.datetime, appeal: Appeal, department: int | None, **counts: int) -> None:
        out[(timezone.localtime(at).date(), appeal.community_id, department or 0)].update(counts)

    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=False)
    assert (policy.sign_unit, policy.contact_unit) == ("hours", "hours")
    # Being complex lengthens only the feedback deadline: signing and contact are the same (docs/rates.md).
    variant = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=True)
    assert [getattr(variant, f) for f in ("sign_value", "sign_unit", "contact_value", "contact_unit")] == [
        getattr(policy, f) for f in ("sign_value", "sign_unit", "contact_value", "contact_unit")
    ]
    assert (policy.sign_basis, policy.contact_basis) == ("previous", "previous")  # from the dispatch
    sign_within, contact_within = dt.timedelta(hours=policy.sign_value), dt.timedelta(hours=policy.contact_value)
    appeals = {a.pk: a for a in Appeal.objects.all()}
    for appeal in appeals.values():
        assert appeal.urgency == Urgency.GENERAL
        add(appeal.received_at, appeal, None, received=1)
        if appeal.status in AWAITING_CALLBACK:
            add(appeal.received_at, appeal, appeal.department_id, awaiting_callback=1)
        held: tuple[dt.datetime, int] | None = None  # the dispatch that leads the appeal now
        kept: tuple[dt.datetime, int] | None = None  # the dispatch the response is counted on
        signed: dt.datetime | None = None
        contacted: dt.datetime | None = None
        in_time: bool | None = None  # None until the response is settled
        for e in AppealEvent.objects.filter(appeal=appeal).order_by("at", "id"):
            if e.action == "dispatch":
                department = int(e.note_params["department_id"])
                if held is None:
                    add(e.at, appeal, department, dispatches=1)
                    kept = (e.at, department)
                else:
                    if department != held[1]:  # re-routed, or a referral the community took
                        add(held[0], appeal, held[1], misrouted=1)
                        add(e.at, appeal, department, dispatches=1)
                    if in_time is None:
                        if department == held[1] and e.from_status == Status.REFERRED:
                            in_time = False  # the referral was refused: a missed response
                        else:
                            kept = (e.at, department)
                held = (e.at, department)
                signed = contacted = None
            elif e.action == "sign" and signed is None:
                signed = e.at
            elif e.action in ("contact", "feedback") and contacted is None:
                contacted = e.at
            elif e.action == "close":
                add(e.at, appeal, appeal.department_id, completed=1)
            elif e.action == "complex":  # against the department leading the appeal when it was marked
                add(e.at, appeal, int(e.note_params.get("department_id") or 0), complex_marked=1)
            if in_time is None and signed is not None and contacted is not None and kept is not None:
                in_time = signed <= kept[0] + sign_within and contacted <= kept[0] + contact_within
        if kept is not None:
            add(kept[0], appeal, kept[1], dispatched=1, responded=int(bool(in_time)))
    for cb in Callback.objects.select_related("satisfaction"):
        if not cb.counted:
            continue
        ok = cb.satisfaction.counts_as_satisfied
        add(cb.at, appeals[cb.appeal_id], cb.department_id, completed=1, ratings=1, resolved=int(cb.resolved))
        add(
            cb.at,
            appeals[cb.appeal_id],
            cb.department_id,
            satisfied=int(ok),
            reopened=int(not ok and not cb.is_follower),
        )
    return out


def _within(key: Key, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or key[0] >= start) and (end is None or key[0] <= end)


def _figures(counts: Counter[str]) -> dict[str, Any]:
    row = RateRow(0, "", dict(counts))
    return {
        **{name: counts.get(name, 0) for name in COMPARED},
        "response": row.response_rate,
        "resolution": row.resolution_rate,
        "satisfaction": row.satisfaction_rate,
        "routing": row.routing_rate,
    }


def assert_dashboard_equals_recount(world: AppealsWorld, start: dt.date | None, end: dt.date | None) -> None:
    raw = {k: c for k, c in recount().items() if _within(k, start, end)}
    marks: Counter[int] = Counter()
    for (_day, _community, department), counts in raw.items():
        marks[department] += counts.get("complex_marked", 0)
    assert complex_marks(world.supervisor, start=start, end=end) == {k: n for k, n in marks.items() if n}
    total: Counter[str] = Counter()
    by_department: dict[int, Counter[str]] = defaultdict(Counter)
    by_community: dict[int, Counter[str]] = defaultdict(Counter)
    for (_day, community, department), counts in raw.items():
        total.update(counts)
        by_department[department].update(counts)
        by_community[community].update(counts)
    report = rates_report(world.supervisor, group="department", start=start, end=end)
    assert _figures(Counter(report.total.counts)) == _figures(total)
    expected = {
        k: _figures(c) for k, c in by_department.items() if k and any(v for n, v in c.items() if n not in ROUTING)
    }
    assert {r.key: _figures(Counter(r.counts)) for r in report.rows} == expected
    community = rates_report(world.supervisor, group="community", start=start, end=end)
    expected = {k: _figures(c) for k, c in by_community.items() if any(c.values())}
    assert {r.key: _figures(Counter(r.counts)) for r in community.rows} == expected


operations = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(0, 11), st.sampled_from(ADVANCE)),
    min_size=8,
    max_size=40,
)
# Up to 200 days: short periods read the daily tier, long ones whole months from the monthly tier and their
# partial edge months from the daily tier (``rates.selectors.tier_plan``).
periods = st.tuples(st.integers(0, 200), st.integers(0, 200))


@pytest.fixture
def scene(world: AppealsWorld) -> Scene:
    return Scene(world)


@settings(
    max_examples=25,
    deadline=None,
    database=None,  # no example database written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, period=periods)
# Always tried, whatever is drawn: a reopened round referred back and dispatched elsewhere (its response must not
# count again), a referral the community refuses, and a re-route before signing.
@example(
    ops=[
        ("step", 0, 1, 0),  # dispatch to A
        ("step", 0, 0, 20),  # sign
        ("step", 0, 0, 20),  # contact
        ("step", 0, 0, 600),  # feedback
        ("step", 0, 0, 60),  # verify
        ("step", 0, 2, 1600),  # callback: not satisfied, reopened
        ("step", 0, 0, 20),  # sign again
        ("step", 0, 3, 20),  # refer back
        ("step", 0, 1, 20),  # dispatch to B
        ("step", 0, 0, 20),  # sign
        ("step", 0, 0, 20),  # contact
    ],
    period=(0, 60),
)
@example(
    ops=[
        ("step", 0, 1, 0),  # dispatch to A
        ("step", 0, 2, 20),  # refer back
        ("step", 0, 0, 20),  # dispatch to A again: the referral refused
        ("step", 0, 0, 5),  # sign
        ("step", 0, 0, 5),  # contact
        ("file", 0, 0, 20),
        ("step", 1, 1, 0),  # dispatch the second to A
        ("step", 1, 4, 20),  # re-route to B
        ("step", 1, 0, 20),  # sign
        ("step", 1, 0, 20),  # contact
    ],
    period=(0, 0),
)
# Marked complex by the community before signing, again by the lead department (refused: once), reopened and
# marked complex in the new round (refused: still complex); counted on the department leading it then.
@example(
    ops=[
        ("step", 0, 2, 0),  # dispatch to B
        ("step", 0, 5, 20),  # complex (the worker)
        ("step", 0, 0, 20),  # sign
        ("step", 0, 4, 20),  # complex again (the liaison): refused
        ("step", 0, 0, 20),  # contact
        ("step", 0, 0, 600),  # feedback
        ("step", 0, 0, 60),  # verify
        ("step", 0, 2, 1600),  # callback: not satisfied, reopened
        ("step", 0, 1, 20),  # complex: refused
        ("step", 0, 0, 20),  # sign in the new round
    ],
    period=(0, 60),
)
# Months of history and a period from the end of one month to the start of another: the page reads whole months
# from the monthly tier and the partial edge months from the daily tier.
@example(
    ops=[
        ("step", 0, 1, 0),
        ("step", 0, 0, 15000),
        ("step", 0, 0, 15000),
        ("file", 0, 0, 15000),
        ("step", 1, 1, 15000),
        ("step", 1, 0, 15000),
        ("step", 1, 0, 3000),
        ("step", 0, 0, 15000),
        ("step", 0, 0, 15000),
        ("step", 0, 1, 15000),
        ("step", 1, 0, 15000),
    ],
    period=(3, 130),
)
def test_dashboard_rates_equal_a_recount_and_the_rebuild(scene: Scene, ops: Any, period: tuple[int, int]) -> None:
    with transaction.atomic():  # each example starts from the same world: its rows are rolled back
        scene.run(ops)
        world = scene.world
        first, last = sorted(period)
        start, end = START.date() + dt.timedelta(days=first), START.date() + dt.timedelta(days=last)
        assert_dashboard_equals_recount(world, None, None)
        assert_dashboard_equals_recount(world, start, end)
        # The monthly tier, kept by the same bumps, is the daily tier summed by month (in total and by each key).
        assert stored_monthly() == monthly_of(stored_daily())
        kept, kept_monthly = rollup_rows(), stored_monthly()
        rollup_rebuild()
        assert rollup_rows() == kept
        assert stored_monthly() == kept_monthly
        assert rollup_check() == []
        assert_dashboard_equals_recount(world, start, end)
        transaction.set_rollback(True)
