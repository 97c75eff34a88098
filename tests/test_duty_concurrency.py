"""Races on both databases, through the API: 20 volunteers claim the last open seat at once (exactly one gets
it); 20 redemptions at the counter against a balance that covers 5 (exactly 5, balance 0, no negative stock);
8 volunteers take one cover request at once (the first wins); two workers pass an expired offer on at once
(each next offer made once).

PostgreSQL: the shift row is locked FOR UPDATE and the partial unique index (shift, seat) stands behind it; the
points account's conditional UPDATE and its CHECK (balance >= 0) hold the balance. SQLite: the IMMEDIATE write
transaction serialises writers; the test runs on a file copy with the production options (as the activities
race test does)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from anju.accounts import services as account_services
from anju.duty import ledger, seats, swaps
from anju.duty.models import Assignment, PointsAccount, PointsEntry, PointsRule, Redemption, StoreItem
from anju.inbox.models import Message
from anju.testing import sqlite_file_database, thread_connection
from anju.testing.duty import make_duty_world, shift_on

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

RACERS = 20


def _token(user: Any) -> str:
    return str(account_services.token_create(actor=user, user=user, name="test", days=1)[1])


def _race(n: int, fn: Callable[[int], int]) -> Counter[int]:
    results: list[int] = []
    start_line = threading.Barrier(n)
    lock = threading.Lock()

    def run(i: int) -> None:
        with thread_connection():
            start_line.wait(timeout=60)
            code = fn(i)
            with lock:
                results.append(code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(results)


@pytest.mark.django_db(transaction=True)
def test_twenty_volunteers_claim_the_last_seat_exactly_one_gets_it(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "claims.sqlite3"), translation.override("en"):
        w = make_duty_world(RACERS + 1, seats=2)
        shift = shift_on(w, timezone.localdate() + timedelta(days=4), seats=2)
        seats.shift_claim(actor=w.volunteers[RACERS].user, shift=shift)  # one seat left
        tokens = [_token(v.user) for v in w.volunteers[:RACERS]]

        def claim(i: int) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[i]}")
            return client.post(f"/api/v1/duty/shifts/{shift.pk}/claim", {}, content_type="application/json").status_code

        print(f"\n{connection.vendor}: {RACERS} claims of the last seat")
        assert _race(RACERS, claim) == {201: 1, 422: RACERS - 1}
        held = Assignment.objects.filter(shift=shift, status__in=Assignment.HOLDING)
        assert held.count() == 2
        assert sorted(held.values_list("seat", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_twenty_redemptions_against_a_balance_for_five(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "redeem.sqlite3"), translation.override("en"):
        w = make_duty_world(1)
        v = w.volunteers[0]
        ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_HOUR, points=10)
        ledger.hours_add(actor=w.worker, volunteer=v, day=timezone.localdate(), hours=5, category="劳动")  # 50 points
        item = ledger.item_add(actor=w.worker, community=w.tree.community, name="理发券", cost=10, stock=12)
        token = _token(w.worker)

        def redeem(i: int) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            return client.post(
                "/api/v1/duty/redemptions", {"code": v.code, "item_id": item.pk}, content_type="application/json"
            ).status_code

        assert _race(RACERS, redeem) == {201: 5, 422: RACERS - 5}
        assert PointsAccount.objects.get(volunteer=v).balance == 0
        assert StoreItem.objects.get(pk=item.pk).stock == 7
        assert Redemption.objects.count() == 5
        assert PointsEntry.objects.filter(source="redemption").count() == 5


@pytest.mark.django_db(transaction=True)
def test_redemptions_never_take_stock_below_zero(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "stock.sqlite3"), translation.override("en"):
        w = make_duty_world(1)
        v = w.volunteers[0]
        ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_HOUR, points=100)
        ledger.hours_add(actor=w.worker, volunteer=v, day=timezone.localdate(), hours=20, category="劳动")
        item = ledger.item_add(actor=w.worker, community=w.tree.community, name="大米", cost=1, stock=3)
        token = _token(w.worker)

        def redeem(i: int) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            return client.post(
                "/api/v1/duty/redemptions", {"code": v.code, "item_id": item.pk}, content_type="application/json"
            ).status_code

        assert _race(RACERS, redeem) == {201: 3, 422: RACERS - 3}
        assert StoreItem.objects.get(pk=item.pk).stock == 0
        assert PointsAccount.objects.get(volunteer=v).balance == 2000 - 3


@pytest.mark.django_db(transaction=True)
def test_eight_takers_of_one_cover_request_one_wins(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "cover.sqlite3"), translation.override("en"):
        w = make_duty_world(9)
        shift = shift_on(w, timezone.localdate() + timedelta(days=4))
        a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
        swap = seats.cover_ask(actor=w.volunteers[0].user, assignment=a)
        tokens = [_token(v.user) for v in w.volunteers[1:9]]

        def take(i: int) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[i]}")
            return client.post(f"/api/v1/duty/swaps/{swap.pk}/take", {}, content_type="application/json").status_code

        assert _race(8, take) == {200: 1, 422: 7}
        assert Assignment.objects.filter(shift=shift, status__in=Assignment.HOLDING).count() == 1
        assert Message.objects.filter(kind="duty.cover_taken").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_pass_an_expired_offer_on_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "offers.sqlite3"), translation.override("en"):
        w = make_duty_world(5)
        shift = shift_on(w, timezone.localdate() + timedelta(days=4))
        a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
        seats.assignment_drop(actor=w.volunteers[0].user, assignment=a)
        first = Assignment.objects.get(shift=shift, status=Assignment.Status.OFFERED)
        later = first.offer_expires_at + timedelta(seconds=1)
        done = _race(2, lambda i: seats.offers_expire(now=later))
        assert sum(k * n for k, n in done.items()) == 1
        assert Assignment.objects.filter(shift=shift, status=Assignment.Status.OFFERED).count() == 1
        assert Message.objects.filter(kind="duty.offer").count() == 2
        offered = list(Assignment.objects.filter(shift=shift, source="standby").values_list("volunteer_id", flat=True))
        assert len(offered) == len(set(offered)) == 2


@pytest.mark.django_db(transaction=True)
def test_eight_takers_of_one_swap_one_wins_and_both_seats_change_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "swap.sqlite3"), translation.override("en"):
        w = make_duty_world(9)
        day = timezone.localdate() + timedelta(days=4)
        offered = seats.shift_claim(actor=w.volunteers[0].user, shift=shift_on(w, day))
        given = [
            seats.shift_claim(actor=v.user, shift=shift_on(w, day + timedelta(days=i + 1)))
            for i, v in enumerate(w.volunteers[1:9])
        ]
        swap = swaps.swap_offer(actor=w.volunteers[0].user, assignment=offered)
        tokens = [_token(v.user) for v in w.volunteers[1:9]]

        def accept(i: int) -> int:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[i]}")
            return client.post(
                f"/api/v1/duty/swaps/{swap.pk}/accept", {"give_id": given[i].pk}, content_type="application/json"
            ).status_code

        assert _race(8, accept) == {200: 1, 422: 7}
        moved = Assignment.objects.filter(source=Assignment.Source.SWAP)
        assert moved.count() == 2
        assert Assignment.objects.filter(status=Assignment.Status.HANDED_OVER).count() == 2
        assert Assignment.objects.filter(shift=offered.shift, status__in=Assignment.HOLDING).count() == 1
        assert Assignment.objects.filter(volunteer=w.volunteers[0], status__in=Assignment.HOLDING).count() == 1
        assert Message.objects.filter(kind="duty.swap_taken").count() == 1
