"""Attendance and the ledgers: hours from real check-in and check-out within the shift, late and no-show,
reversals (never of a reversal, never twice), the append-only triggers, points rules, the store."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from anju.audit.models import AuditEvent
from anju.duty import ledger, seats
from anju.duty.models import Assignment, HoursEntry, PointsAccount, PointsRule, StoreItem
from anju.testing.duty import make_duty_world, shift_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _today_shift(w):  # type: ignore[no-untyped-def]
    return shift_on(w, timezone.localdate())


def test_door_scan_checks_in_then_out_and_records_hours_within_the_shift() -> None:
    w = make_duty_world(2)
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_HOUR, points=10)
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_SHIFT, points=5)
    shift = _today_shift(w)
    a = Assignment.objects.create(
        community_id=shift.community_id,
        shift=shift,
        seat=1,
        volunteer=w.volunteers[0],
        status="confirmed",
        source="signup",
    )
    token = ledger.door_code_issue(actor=w.worker, station=w.station.station).token
    a = ledger.door_scan(actor=w.volunteers[0].user, token=token, now=shift.starts_at + timedelta(minutes=20))
    assert a.checked_in_at
    assert a.late
    a = ledger.door_scan(actor=w.volunteers[0].user, token=token, now=shift.ends_at + timedelta(minutes=30))
    entry = HoursEntry.objects.get(source="duty", source_ref=a.pk)
    assert entry.hours == Decimal("2.7")  # 09:20–12:00 within the shift, not the half hour after
    assert PointsAccount.objects.get(volunteer=w.volunteers[0]).balance == 27 + 5
    with pytest.raises(ValidationError, match="no duty shift at this station"):
        ledger.door_scan(actor=w.volunteers[1].user, token=token, now=shift.starts_at)
    with pytest.raises(ValidationError, match="not your shift"):
        ledger.check_in(actor=w.volunteers[1].user, assignment=a, now=shift.starts_at)


def test_desk_attendance_and_bad_times() -> None:
    w = make_duty_world(1)
    shift = shift_on(w, timezone.localdate() - timedelta(days=1))
    a = Assignment.objects.create(
        community_id=shift.community_id,
        shift=shift,
        seat=1,
        volunteer=w.volunteers[0],
        status="confirmed",
        source="signup",
    )
    with pytest.raises(ValidationError, match="leave after arriving"):
        ledger.attendance_mark(
            actor=w.worker, assignment=a, checked_in_at=shift.ends_at, checked_out_at=shift.starts_at
        )
    assert not HoursEntry.objects.exists()
    ledger.attendance_mark(actor=w.worker, assignment=a, checked_in_at=shift.starts_at, checked_out_at=shift.ends_at)
    assert HoursEntry.objects.get().hours == Decimal("3.0")


def test_no_show_is_marked_once() -> None:
    w = make_duty_world(1)
    shift = shift_on(w, timezone.localdate() - timedelta(days=1))
    Assignment.objects.create(
        community_id=shift.community_id,
        shift=shift,
        seat=1,
        volunteer=w.volunteers[0],
        status="confirmed",
        source="signup",
    )
    assert seats.no_shows_mark() == 1
    assert seats.no_shows_mark() == 0


def test_reversal_once_never_of_a_reversal_and_the_ledger_is_append_only() -> None:
    w = make_duty_world(1)
    e = ledger.hours_add(
        actor=w.worker, volunteer=w.volunteers[0], day=timezone.localdate(), hours="2.5", category="劳动"
    )
    with pytest.raises(ValidationError, match="Say why"):
        ledger.hours_reverse(actor=w.worker, entry=e, reason=" ")
    rev = ledger.hours_reverse(actor=w.worker, entry=e, reason="录错了")
    assert rev.hours == Decimal("-2.5")
    with pytest.raises(ValidationError, match="already reversed"):
        ledger.hours_reverse(actor=w.worker, entry=e, reason="again")
    with pytest.raises(ValidationError, match="cannot be reversed"):
        ledger.hours_reverse(actor=w.worker, entry=rev, reason="undo")
    assert HoursEntry.objects.count() == 2
    for sql in ("UPDATE duty_hoursentry SET hours = 9", "DELETE FROM duty_hoursentry"):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(ValidationError, match="as a number"):
        ledger.hours_add(actor=w.worker, volunteer=w.volunteers[0], day=timezone.localdate(), hours="NaN", category="x")


def test_redemption_never_overdraws_or_sells_out_of_stock() -> None:
    w = make_duty_world(1)
    v = w.volunteers[0]
    ledger.points_rule_set(actor=w.worker, community=w.tree.community, basis=PointsRule.Basis.PER_HOUR, points=10)
    ledger.hours_add(actor=w.worker, volunteer=v, day=timezone.localdate(), hours=3, category="劳动")
    item = ledger.item_add(actor=w.worker, community=w.tree.community, name="洗衣液", cost=20, stock=1)
    ledger.redeem(actor=w.worker, code=v.code, item=item)
    assert PointsAccount.objects.get(volunteer=v).balance == 10
    with pytest.raises(ValidationError, match="Not enough points"):
        ledger.redeem(actor=w.worker, code=v.code, item=item)
    cheap = ledger.item_add(actor=w.worker, community=w.tree.community, name="券", cost=1, stock=0)
    with pytest.raises(ValidationError, match="out of stock"):
        ledger.redeem(actor=w.worker, code=v.code, item=cheap)
    assert PointsAccount.objects.get(volunteer=v).balance == 10
    assert StoreItem.objects.get(pk=item.pk).stock == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(volunteer=v).update(balance=-1)


def test_month_workbook_lists_entries_and_totals() -> None:
    import io

    from openpyxl import load_workbook

    from anju.duty import reports, selectors

    w = make_duty_world(2)
    today = timezone.localdate()
    ledger.hours_add(actor=w.worker, volunteer=w.volunteers[0], day=today, hours="2", category="=劳动")
    ledger.hours_add(actor=w.worker, volunteer=w.volunteers[0], day=today, hours="1.5", category="劳动")
    ledger.hours_add(actor=w.worker, volunteer=w.volunteers[1], day=today, hours="3", category="劳动")
    data = reports.month_xlsx(
        actor=w.worker, community=w.tree.community, entries=selectors.ledger(w.worker), month=today.replace(day=1)
    )
    wb = load_workbook(io.BytesIO(data))
    entries = list(wb.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(entries) == 3
    assert any(row[3] == "'=劳动" for row in entries)  # formula injection quoted
    totals = dict(wb.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert totals == {w.volunteers[0].name: 3.5, w.volunteers[1].name: 3.0}
    exported = AuditEvent.objects.get(action="duty.report_exported")
    assert exported.community_id == w.tree.community.pk  # the export's audit row names its community
