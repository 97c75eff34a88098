"""Points from outside duty (the per-accepted-suggestion hook, idempotent on its source and reference) and the
optional yearly expiry (once per person and year, whatever runs twice; spending counts against old points
first; never below zero)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.audit.models import AuditEvent
from anju.duty import ledger, points, tasks
from anju.duty.models import PointsAccount, PointsEntry, PointsRule, Volunteer
from anju.testing.duty import make_duty_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _balance(v: Volunteer) -> int:
    return PointsAccount.objects.get(volunteer=v).balance


def test_an_accepted_suggestion_earns_the_rules_points_once() -> None:
    w = make_duty_world(2)
    v = w.volunteers[0]
    assert points.points_award(actor=w.worker, volunteer=v, source="suggestion", ref=41) is None  # no rule yet
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_SUGGESTION, points=30)
    first = points.points_award(actor=w.worker, volunteer=v, source="suggestion", ref=41, note="加装扶手")
    again = points.points_award(actor=w.worker, volunteer=v, source="suggestion", ref=41)
    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert _balance(v) == 30
    assert PointsEntry.objects.filter(source="suggestion").count() == 1
    assert AuditEvent.objects.filter(action="duty.points_awarded").count() == 1
    explicit = points.points_award(actor=None, volunteer=w.volunteers[1], source="suggestion", ref=42, points=5)
    assert explicit is not None
    assert explicit.points == 5
    assert _balance(w.volunteers[1]) == 5


def test_a_resident_without_a_volunteer_entry_gets_nothing_and_bad_input_is_refused() -> None:
    w = make_duty_world(1)
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_SUGGESTION, points=30)

    class Nobody:
        pk = 10**9
        community_id = w.tree.community.pk

    assert points.points_award(actor=None, resident=Nobody(), source="suggestion", ref=7) is None
    bad: list[dict[str, Any]] = [
        {"source": "redemption", "ref": 1, "volunteer": w.volunteers[0]},
        {"source": "suggestion", "ref": 0, "volunteer": w.volunteers[0]},
        {"source": "suggestion", "ref": 1, "volunteer": w.volunteers[0], "points": -3},
        {"source": "suggestion", "ref": 1},
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            points.points_award(actor=None, **kwargs)
    assert not PointsEntry.objects.filter(source="suggestion").exists()


def _earn(w: Any, v: Volunteer, hours: int) -> None:
    ledger.hours_add(actor=w.worker, volunteer=v, day=timezone.localdate(), hours=hours, category="劳动")


def test_yearly_expiry_once_per_person_spending_first_never_negative(monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_duty_world(3)
    community = w.tree.community
    ledger.points_rule_set(actor=w.worker, community=community, basis=PointsRule.Basis.PER_HOUR, points=10)
    keeper, spender, idle = w.volunteers
    _earn(w, keeper, 5)  # 50 old points
    _earn(w, spender, 4)  # 40 old points
    item = ledger.item_add(actor=w.worker, community=community, name="毛巾", cost=15, stock=10)
    # off by default: nothing expires
    new_year = points.year_start(timezone.localdate().year + 1) + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: new_year)
    assert points.points_expire_year() == 0
    points.points_settings_set(actor=w.worker, community=community, expire_yearly=True)
    # in the new year: the spender spends 30 and earns 20 more; the keeper earns 10 more
    ledger.redeem(actor=w.worker, code=spender.code, item=item)
    ledger.redeem(actor=w.worker, code=spender.code, item=item)
    ledger.hours_add(actor=w.worker, volunteer=spender, day=new_year.date(), hours=2, category="劳动")
    ledger.hours_add(actor=w.worker, volunteer=keeper, day=new_year.date(), hours=1, category="劳动")
    assert points.points_expire_year() == 2
    tasks.points_expiry()  # the worker again, and again: nothing more
    assert points.points_expire_year() == 0
    assert _balance(keeper) == 10  # 50 old expired, the new 10 kept
    assert _balance(spender) == 20  # 40 old − 30 spent = 10 expired; 10 + 20 − 10
    assert _balance(idle) == 0
    expired = PointsEntry.objects.filter(source="year_end")
    assert sorted(expired.values_list("points", flat=True)) == [-50, -10]
    assert AuditEvent.objects.filter(action="duty.points_expired").count() == 2
    # a year later the same people's leftovers expire once more, in one new entry each
    later = points.year_start(new_year.year + 1) + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert points.points_expire_year() == 2
    assert _balance(keeper) == _balance(spender) == 0
    assert all(b >= 0 for b in PointsAccount.objects.values_list("balance", flat=True))


def test_expiry_never_drives_a_balance_below_zero() -> None:
    w = make_duty_world(1)
    v = w.volunteers[0]
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_HOUR, points=10)
    entry = ledger.hours_add(actor=w.worker, volunteer=v, day=timezone.localdate(), hours=3, category="劳动")
    points.points_settings_set(actor=w.worker, community=w.tree.community, expire_yearly=True)
    ledger.hours_reverse(actor=w.worker, entry=entry, reason="录错了")  # takes the 30 points back
    assert _balance(v) == 0
    assert points.points_expire_year(now=datetime(timezone.localdate().year + 1, 1, 3, tzinfo=UTC)) == 0
    assert _balance(v) == 0


def test_the_expiry_setting_and_the_suggestion_rule_on_the_coordinators_page() -> None:
    from django.test import Client

    from anju.duty.models import PointsSettings

    w = make_duty_world(1)
    staff = Client()
    staff.cookies["anju_language"] = "en"
    staff.force_login(w.worker)
    station = w.station.station.pk
    page = staff.get(f"/duty/manage/?station={station}").content.decode()
    assert 'value="per_suggestion"' in page
    assert 'name="expire_yearly"' in page
    staff.post(f"/duty/manage/?station={station}", {"what": "points_settings", "expire_yearly": "on"})
    assert PointsSettings.objects.get(community=w.tree.community).expire_yearly
    assert 'name="expire_yearly" checked' in staff.get(f"/duty/manage/?station={station}").content.decode()
    staff.post(f"/duty/manage/?station={station}", {"what": "rule", "basis": "per_suggestion", "points": "25"})
    assert PointsRule.objects.get(basis="per_suggestion").points == 25
