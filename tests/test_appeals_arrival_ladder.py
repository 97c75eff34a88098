"""Issue 22, item 2: a whistle's arrival deadline has its own ladder — 催办 at ``arrive_by`` to the summoned
department's liaisons and the community's staff, 通报 two hours later to the supervising level — each level
exactly once per summons, under crashes and two sweepers; an arrival or a closed appeal stops it."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from anju.appeals import clock
from anju.appeals.models import Appeal, Escalation, Status, Summons, SummonsEscalation, Whistle
from anju.appeals.whistles import ladder
from anju.appeals.whistles import services as whistles
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.inbox.models import Message
from anju.testing import Tree, email_everyone, english_client, sqlite_file_database, thread_connection
from anju.testing.appeals import AppealsWorld, make_appeals_world

pytestmark = pytest.mark.usefixtures("english", "media_root")

TZ = timezone.get_current_timezone()
BLOWN = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DUE = BLOWN + dt.timedelta(minutes=30)  # the default arrival deadline
URGE, NOTICE = Escalation.Level.URGE, Escalation.Level.NOTICE


@pytest.fixture(autouse=True)
def _email(settings: Any, monkeypatch: Any) -> None:
    email_everyone(settings, monkeypatch)


class Crash(Exception):
    pass


def _blow(world: AppealsWorld, appeal: Appeal | None = None) -> tuple[Appeal, Whistle]:
    """An appeal with both departments summoned to the site at 09:00, due 09:30."""
    with clock.frozen(BLOWN - dt.timedelta(hours=1)):
        appeal = appeal or world.to_status(world.file(), Status.DISPATCHED)
    power = world.other_liaison.grants.get().department
    with clock.frozen(BLOWN):
        whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department, power])
    return appeal, whistle


def _rungs(appeal: Appeal) -> list[tuple[str, int]]:
    return list(
        SummonsEscalation.objects.filter(appeal=appeal)
        .order_by("summons__department__name", "level")
        .values_list("summons__department__name", "level")
    )


def _kinds(user: Any, appeal: Appeal) -> list[str]:
    return list(
        Message.objects.filter(recipient=user, params__appeal=appeal.pk, kind__startswith="appeal.arrival.")
        .order_by("id")
        .values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_a_missed_arrival_is_urged_at_the_deadline_and_noticed_two_hours_later(world: AppealsWorld) -> None:
    appeal, _whistle = _blow(world)
    power = world.other_liaison.grants.get().department
    assert ladder.sweep_arrivals(now=DUE - dt.timedelta(minutes=1)) == 0
    # 催办 at the deadline: one per summoned department, to its liaisons and the community's staff.
    assert ladder.sweep_arrivals(now=DUE) == 2
    assert ladder.sweep_arrivals(now=DUE + dt.timedelta(minutes=5)) == 0  # never twice
    assert _kinds(world.liaison, appeal) == ["appeal.arrival.2"]
    assert _kinds(world.other_liaison, appeal) == ["appeal.arrival.2"]
    assert _kinds(world.worker, appeal) == ["appeal.arrival.2", "appeal.arrival.2"]  # one per department
    assert _kinds(world.supervisor, appeal) == []
    message = Message.objects.filter(recipient=world.other_liaison, kind="appeal.arrival.2").get()
    assert message.params["department"] == power.name
    assert message.params["time"] == "09:30"
    assert (
        message.title == f"Reminder notice (催办): {power.name} did not report on site by 09:30, appeal {appeal.number}"
    )
    # 通报 two hours after the deadline, to the supervisors above as well.
    assert ladder.sweep_arrivals(now=DUE + ladder.NOTICE_AFTER - dt.timedelta(minutes=1)) == 0
    assert ladder.sweep_arrivals(now=DUE + ladder.NOTICE_AFTER) == 2
    assert ladder.sweep_arrivals(now=DUE + dt.timedelta(days=3)) == 0
    assert _kinds(world.supervisor, appeal) == ["appeal.arrival.3", "appeal.arrival.3"]
    assert _kinds(world.liaison, appeal) == ["appeal.arrival.2", "appeal.arrival.3"]
    notice = SummonsEscalation.objects.filter(level=NOTICE).first()
    assert notice is not None
    assert notice.target_unit is not None
    assert notice.target_unit.pk == world.tree.district.pk
    assert _rungs(appeal) == sorted(
        [
            (world.tree.department.name, URGE),
            (world.tree.department.name, NOTICE),
            (power.name, URGE),
            (power.name, NOTICE),
        ]
    )
    audits = AuditEvent.objects.filter(action=Action.APPEAL_ESCALATED, object_id=str(appeal.pk))
    assert audits.count() == 4
    assert {a.data["stage"] for a in audits} == {"arrival"}
    assert (
        sum(int(a.data["recipients"]) for a in audits)
        == Message.objects.filter(params__appeal=appeal.pk, kind__startswith="appeal.arrival.").count()
    )
    # Shown among the appeal's escalations.
    page = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert page.count("data-arrival-escalation") == 4
    assert f"{power.name} reporting on site" in page
    # The appeal's own ladders are untouched.
    assert not Escalation.objects.filter(appeal=appeal).exclude(stage__in=["dispatch", "sign", "contact", "feedback"])


@pytest.mark.django_db
def test_an_arrival_before_a_level_stops_the_ladder(world: AppealsWorld) -> None:
    appeal, whistle = _blow(world)
    ours, theirs = whistle.summonses.order_by("id")
    with clock.frozen(DUE - dt.timedelta(minutes=10)):
        whistles.summons_checkin(actor=world.liaison, summons=ours)  # on time (self-declared still stops it)
    assert ladder.sweep_arrivals(now=DUE) == 1  # only the department still awaited
    assert SummonsEscalation.objects.get().summons_id == theirs.pk
    with clock.frozen(DUE + dt.timedelta(hours=1)):
        whistles.summons_checkin(actor=world.other_liaison, summons=theirs)  # late, but before the 通报
    assert ladder.sweep_arrivals(now=DUE + dt.timedelta(days=1)) == 0
    assert _rungs(appeal) == [(theirs.department.name, URGE)]
    assert _kinds(world.supervisor, appeal) == []


@pytest.mark.django_db
def test_a_closed_appeal_stops_the_ladder(world: AppealsWorld) -> None:
    appeal, _whistle = _blow(world)
    assert ladder.sweep_arrivals(now=DUE) == 2
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.CLOSED_RESOLVED)
    assert ladder.sweep_arrivals(now=DUE + dt.timedelta(days=1)) == 0
    assert SummonsEscalation.objects.filter(level=NOTICE).count() == 0


@pytest.mark.django_db
def test_two_summonses_of_one_appeal_and_two_whistles_keep_apart(world: AppealsWorld) -> None:
    appeal, _first = _blow(world)
    with clock.frozen(BLOWN + dt.timedelta(minutes=20)):
        whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department], minutes=60)
    assert ladder.sweep_arrivals(now=DUE) == 2  # the first whistle's two summonses
    assert ladder.sweep_arrivals(now=BLOWN + dt.timedelta(minutes=80)) == 1  # the second whistle's
    assert SummonsEscalation.objects.filter(appeal=appeal, level=URGE).count() == 3


@pytest.mark.django_db
def test_a_sweeper_killed_at_any_point_never_loses_or_duplicates(world: AppealsWorld) -> None:
    appeals = [_blow(world)[0] for _ in range(3)]
    now = DUE + dt.timedelta(days=1)
    for point in ("claim", "escalation", "notified", "commit"):

        def hook(at: str, point: str = point) -> None:
            if at == point:
                raise Crash(point)

        with pytest.raises(Crash):
            ladder.sweep_arrivals(now=now, batch=2, hook=hook)
        assert SummonsEscalation.objects.count() == 0  # the batch rolled back whole
        assert not Message.objects.filter(kind__startswith="appeal.arrival.").exists()
    assert ladder.sweep_arrivals(now=now, batch=2) == 3 * 2 * 2
    assert ladder.sweep_arrivals(now=now) == 0
    for appeal in appeals:
        assert len(_rungs(appeal)) == 4
        assert AuditEvent.objects.filter(action=Action.APPEAL_ESCALATED, object_id=str(appeal.pk)).count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_fire_each_level_once(tree: Tree, tmp_path: Path) -> None:
    """Two threads, each with its own connection, sweep the same due summonses at once (PostgreSQL: SKIP
    LOCKED claims and the unique (summons, level) constraint; SQLite: IMMEDIATE transactions on a file copy)."""
    world = make_appeals_world(tree)
    appeals = [_blow(world)[0] for _ in range(6)]
    now = DUE + dt.timedelta(days=1)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    fired: dict[str, int] = {}
    started = {"a": threading.Event(), "b": threading.Event()}

    def sweeper(label: str) -> None:
        other = "b" if label == "a" else "a"

        def hook(point: str) -> None:
            if point == "claim":
                started[label].set()
            elif point == "committed":
                started[other].wait(timeout=30)

        with thread_connection():
            try:
                barrier.wait(timeout=30)
                fired[label] = ladder.sweep_arrivals(now=now, batch=2, hook=hook)
            except BaseException as exc:  # noqa: BLE001  reported below
                errors.append(exc)

    with sqlite_file_database(tmp_path / "arrivals.sqlite3"):
        threads = [threading.Thread(target=sweeper, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert fired["a"] + fired["b"] == 6 * 2 * 2
        assert SummonsEscalation.objects.count() == 6 * 2 * 2
        for appeal in appeals:
            audits = AuditEvent.objects.filter(action=Action.APPEAL_ESCALATED, object_id=str(appeal.pk))
            assert audits.count() == 4
            sent = Message.objects.filter(params__appeal=appeal.pk, kind__startswith="appeal.arrival.").count()
            assert sent == sum(int(a.data["recipients"]) for a in audits) > 0
        assert Summons.objects.filter(escalations__isnull=True).count() == 0
