"""SMS as a channel of the inbox: a templated outbox row per message, quiet hours, a daily cap, retries
with back-off, and never sent twice, even with two workers at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import User
from anju.inbox import kinds, smsproviders, tasks
from anju.inbox.models import Message, NoticeProfile, NoticeSetting, SmsOutbox
from anju.inbox.services import inbox_send
from anju.inbox.smsproviders import GIVE_UP, RETRY, SENT, UNKNOWN, Result
from anju.testing import Tree, build_tree, make_user, sqlite_file_database, thread_connection

KIND = "tests.sms_parcel"
kinds.register(KIND, "Parcel {number} is waiting at {place}, for {name}")
PHONE = "13912345678"


class Recorder:
    """A provider that records what it was asked and answers from a script (then ``sent``)."""

    def __init__(self, *outcomes: str, delay: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[dict[str, Any]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def send(self, **kw: Any) -> Result:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.calls.append(kw)
            outcome = self.outcomes.pop(0) if self.outcomes else SENT
        return Result(outcome, "X" if outcome != SENT else "OK", provider_ref="ref" if outcome == SENT else "")


@pytest.fixture
def templates(settings: Any) -> None:
    settings.ANJU_SMS_TEMPLATES = {KIND: {"code": "SMS_001", "params": ["number", "place"]}}
    settings.ANJU_SMS_DAILY_CAP = 3


@pytest.fixture
def provider(monkeypatch: Any) -> Callable[..., Recorder]:
    def install(*outcomes: str, delay: float = 0.0) -> Recorder:
        recorder = Recorder(*outcomes, delay=delay)
        monkeypatch.setattr(smsproviders, "backend", lambda: recorder)
        return recorder

    return install


@pytest.fixture
def clock(monkeypatch: Any) -> Callable[[datetime], None]:
    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


TODAY = timezone.localtime(timezone.now()).date()  # before any test moves the clock


def local(hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    """Local time on today's date (plus ``days``), fixed whatever the test's clock says."""
    naive = datetime.combine(TODAY + timedelta(days=days), datetime.min.time()).replace(hour=hour, minute=minute)
    return timezone.make_aware(naive)


@pytest.fixture
def resident(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="sms_resident", mobile=PHONE)


def send(tree: Tree, *users: User, n: int = 1) -> int:
    return inbox_send(
        recipients=list(users),
        kind=KIND,
        community=tree.community,
        params={"number": n, "place": "东门", "name": "张三"},
    )


def test_one_templated_row_per_message_only_the_templates_parameters(
    tree: Tree, resident: User, templates: None, provider: Any, clock: Any, caplog: Any
) -> None:
    clock(local(10))
    no_phone = make_user(Role.RESIDENT, tree.building)
    send(tree, resident, no_phone)
    row = SmsOutbox.objects.get()
    assert row.recipient == resident
    assert (row.template_code, row.template_params) == ("SMS_001", {"number": "1", "place": "东门"})  # no name
    assert row.idempotency_key == f"sms:{row.message_id}"
    recorder = provider()
    with caplog.at_level(logging.DEBUG):
        assert tasks.deliver_sms() == 1
    assert recorder.calls == [
        {
            "phone": PHONE,
            "template_code": "SMS_001",
            "params": {"number": "1", "place": "东门"},
            "order": ["number", "place"],
            "reference": row.idempotency_key,
        }
    ]
    row.refresh_from_db()
    assert (row.state, row.attempts, row.provider_ref) == (SmsOutbox.State.SENT, 1, "ref")
    assert tasks.deliver_sms() == 0
    assert len(recorder.calls) == 1
    assert PHONE not in caplog.text


def test_no_template_or_sms_off_writes_no_row(tree: Tree, resident: User, templates: None, settings: Any) -> None:
    NoticeSetting.objects.create(user=resident, kind=KIND, channel="sms", mode="off")
    send(tree, resident)
    assert not SmsOutbox.objects.exists()
    settings.ANJU_SMS_TEMPLATES = {}
    NoticeSetting.objects.all().delete()
    send(tree, resident)
    assert not SmsOutbox.objects.exists()
    # Staff get SMS only for whistles by default.
    settings.ANJU_SMS_TEMPLATES = {KIND: {"code": "SMS_001", "params": ["number"]}}
    worker = make_user(Role.COMMUNITY_WORKER, tree.community, mobile="13900000009")
    send(tree, worker)
    assert not SmsOutbox.objects.exists()


def test_retry_with_backoff_then_sent_once(
    tree: Tree, resident: User, templates: None, provider: Any, clock: Any
) -> None:
    start = local(10)
    clock(start)
    send(tree, resident)
    recorder = provider(RETRY, RETRY)
    assert tasks.deliver_sms() == 0
    row = SmsOutbox.objects.get()
    assert (row.state, row.attempts) == (SmsOutbox.State.PENDING, 1)
    assert row.next_attempt_at == start + tasks.backoff(1)
    assert tasks.deliver_sms() == 0  # not due yet
    clock(start + timedelta(minutes=1, seconds=1))
    assert tasks.deliver_sms() == 0
    clock(start + timedelta(minutes=10))
    assert tasks.deliver_sms() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SmsOutbox.State.SENT, 3)
    assert len(recorder.calls) == 3


def test_give_up_and_unknown_are_never_retried(
    tree: Tree, resident: User, templates: None, provider: Any, clock: Any
) -> None:
    clock(local(10))
    send(tree, resident, n=1)
    send(tree, resident, n=2)
    recorder = provider(GIVE_UP, UNKNOWN)
    tasks.deliver_sms()
    states = {str(k): v for k, v in SmsOutbox.objects.values_list("template_params__number", "state")}
    assert states == {"1": SmsOutbox.State.FAILED, "2": SmsOutbox.State.UNKNOWN}
    clock(local(18))
    assert tasks.deliver_sms() == 0
    assert len(recorder.calls) == 2


def test_a_row_left_sending_by_a_dead_worker_becomes_unknown_not_resent(
    tree: Tree, resident: User, templates: None, provider: Any, clock: Any
) -> None:
    clock(local(10))
    send(tree, resident)
    claimed = tasks._claim_sms(10, timezone.now())  # the worker claims, then dies before sending
    assert [r.state for r in claimed] == [SmsOutbox.State.SENDING]
    recorder = provider()
    assert tasks.deliver_sms() == 0  # still within the lease: untouched
    clock(local(10) + tasks.SMS_LEASE + timedelta(seconds=1))
    assert tasks.deliver_sms() == 0
    assert SmsOutbox.objects.get().state == SmsOutbox.State.UNKNOWN
    assert recorder.calls == []


def test_quiet_hours_hold_the_sms_until_they_end(
    tree: Tree, resident: User, templates: None, provider: Any, clock: Any
) -> None:
    clock(local(22, 30))
    send(tree, resident)
    row = SmsOutbox.objects.get()
    assert timezone.localtime(row.next_attempt_at) == local(8, 0, days=1)  # default quiet hours 21:00–08:00
    recorder = provider()
    clock(local(23, 59))
    assert tasks.deliver_sms() == 0
    clock(local(8, 0, days=1))
    assert tasks.deliver_sms() == 1
    assert len(recorder.calls) == 1
    # A person's own quiet hours (here 12:00–14:00) hold a row that came due inside them.
    NoticeProfile.objects.create(user=resident, quiet_start=local(12).time(), quiet_end=local(14).time())
    clock(local(12, 30, days=1))
    send(tree, resident, n=2)
    assert tasks.deliver_sms() == 0
    row = SmsOutbox.objects.get(template_params__number="2")
    assert timezone.localtime(row.next_attempt_at) == local(14, 0, days=1)
    # No quiet hours at all: at once, even at night.
    NoticeProfile.objects.filter(user=resident).update(quiet_start=None, quiet_end=None)
    clock(local(23, 0, days=1))
    send(tree, resident, n=3)
    assert tasks.deliver_sms() == 2  # the held one (past 14:00) and the new one


def test_daily_cap_per_person(tree: Tree, resident: User, templates: None, provider: Any, clock: Any) -> None:
    clock(local(10))
    other = make_user(Role.RESIDENT, tree.building, mobile="13911112222")
    for n in range(5):
        send(tree, resident, other, n=n)
    recorder = provider()
    assert tasks.deliver_sms() == 6  # three each
    skipped = SmsOutbox.objects.filter(state=SmsOutbox.State.SKIPPED)
    assert skipped.count() == 4
    assert {r.last_error for r in skipped} == {"daily cap of 3 reached"}
    assert Message.objects.filter(recipient=resident).count() == 5  # all still in the inbox
    clock(local(10, days=1))
    send(tree, resident, n=9)
    assert tasks.deliver_sms() == 1  # a new day
    assert len(recorder.calls) == 7


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_sms_exactly_once(
    settings: Any, provider: Any, clock: Any, tmp_path: Any
) -> None:
    settings.ANJU_SMS_TEMPLATES = {KIND: {"code": "SMS_001", "params": ["number"]}}
    clock(local(10))
    recorder = provider(delay=0.01)
    start = threading.Barrier(2)
    with sqlite_file_database(tmp_path / "sms.sqlite3"):
        tree = build_tree()
        users = [make_user(Role.RESIDENT, tree.building, mobile=f"139000{i:05d}") for i in range(20)]
        send(tree, *users)
        errors: list[BaseException] = []
        counts: dict[str, int] = {}

        def worker(label: str) -> None:
            with thread_connection():
                try:
                    start.wait(timeout=30)
                    total = 0
                    while n := tasks.deliver_sms(batch=4):
                        total += n
                    counts[label] = total
                except BaseException as exc:  # noqa: BLE001  reported below
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert counts["a"] + counts["b"] == 20
        assert sorted(c["phone"] for c in recorder.calls) == sorted(u.mobile for u in users)
        assert set(SmsOutbox.objects.values_list("state", flat=True)) == {SmsOutbox.State.SENT}
        assert set(SmsOutbox.objects.values_list("attempts", flat=True)) == {1}
