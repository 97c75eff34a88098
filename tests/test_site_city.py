"""The benchmark city (``anju generate_city``, ``anju.site.city``): its roll-up is what the rebuild counts, its
open appeals carry the deadlines and ladders the SLA gives them, old appeals are closed and recent ones open, and
its keys do not repeat in cycles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from anju.appeals import sla
from anju.appeals.models import CLOSED_STATUSES, OPEN_STATUSES, Appeal, AppealEvent, Callback, DailyRollup
from anju.appeals.rates.rebuild import recount, rollup_check, rollup_rebuild
from anju.site import city as city_module
from anju.spaces.models import Booking

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def city(django_db_setup: None, django_db_blocker: Any) -> Iterator[city_module.City]:
    """One city for the module's tests (each test's own transaction rolls back what it changes)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield city_module.generate_city(
            appeals=1500, communities=8, years=1.5, seed=7, now=NOW, bookings=60, registrations=900
        )
        transaction.set_rollback(True)


def stored() -> dict[tuple[dt.date, int, int, int, int], dict[str, int]]:
    return {
        (r.day, r.community_id, r.grid_key, r.department_key, r.category_key): {
            n: getattr(r, n) for n in DailyRollup.COUNTERS if getattr(r, n)
        }
        for r in DailyRollup.objects.all()
    }


def test_the_roll_up_is_what_the_rebuild_counts(city: city_module.City) -> None:
    counted = {key: {n: v for n, v in c.items() if v} for key, c in recount().items()}
    assert stored() == counted
    assert rollup_check() == []  # the monthly tier too
    before = stored()
    rollup_rebuild()
    assert stored() == before
    assert sum(r["received"] for r in before.values() if "received" in r) == 1500


def test_states_follow_the_age_of_the_appeal(city: city_module.City) -> None:
    old = Appeal.objects.filter(received_at__lt=NOW - dt.timedelta(days=120))
    assert old.filter(status__in=OPEN_STATUSES).count() <= old.count() * 0.03  # a stuck tail only
    recent = Appeal.objects.filter(received_at__gte=NOW - dt.timedelta(days=1))
    assert recent.filter(status__in=OPEN_STATUSES).count() >= recent.count() * 0.5
    assert Appeal.objects.filter(status__in=CLOSED_STATUSES).count() >= 1500 * 0.8
    assert set(Appeal.objects.values_list("status", flat=True)) >= {"closed_resolved", "closed_unresolved", "rejected"}
    assert Callback.objects.count() >= 1000
    assert AppealEvent.objects.filter(action="dispatch").count() >= 1300
    assert Booking.objects.count() == 60
    assert city.counts["appeals"] == Appeal.objects.count() == 1500


def test_activities_fill_the_same_years_and_past_sessions_are_attended(city: city_module.City) -> None:
    """Registrations as asked, in sessions spread over the appeals' window (never decades back), most of a past
    session's checked in and none of a future one's."""
    from anju.activities.models import Registration, Session

    assert city.counts["registrations"] == Registration.objects.count()
    assert 900 <= Registration.objects.count() < 900 + 30
    first = Session.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
    assert first is not None
    assert first >= NOW - dt.timedelta(days=round(365 * 1.5) + 31)
    months = {(s.year, s.month) for s in Session.objects.values_list("starts_at", flat=True)}
    assert len(months) >= 12  # spread, not piled into the last months
    past = Registration.objects.filter(session__starts_at__lt=NOW)
    assert past.filter(checked_in_at__isnull=False).count() >= past.count() * 0.6
    assert not Registration.objects.filter(session__starts_at__gt=NOW, checked_in_at__isnull=False).exists()


def test_open_appeals_carry_their_deadlines_and_ladders(city: city_module.City) -> None:
    open_ = list(Appeal.objects.filter(status__in=OPEN_STATUSES))
    assert open_
    for appeal in open_:
        assert appeal.due_at == sla.current_deadline(appeal), appeal.status
        fired = sla.fired_levels(appeal)
        assert appeal.escalation_level == max((fired.get(s, 0) for s, _due in sla.ladders(appeal)), default=0)
        assert appeal.escalation_due_at is None or appeal.escalation_due_at > NOW  # nothing left for the sweeper
    assert any(a.due_at and a.due_at < NOW for a in open_) or len(open_) < 10


def test_keys_do_not_repeat_in_cycles(city: city_module.City) -> None:
    keys = list(Appeal.objects.order_by("pk").values_list("community_id", "grid_id", "category_id", "department_id"))
    for period in range(1, 200):
        assert any(keys[i] != keys[i + period] for i in range(len(keys) - period)), period
    assert len(set(keys)) > 500
    received = list(Appeal.objects.order_by("pk").values_list("received_at", flat=True))
    assert received == sorted(received)  # ids follow the receipt, as intake gives them


def test_the_command_says_what_the_data_is() -> None:
    out = StringIO()
    call_command("generate_city", appeals=200, communities=3, years=0.5, seed=1, bookings=10, stdout=out)
    text = out.getvalue()
    assert "3 communities" in text
    assert "200 received" in text
    assert "overdue" in text
