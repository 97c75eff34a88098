"""The three-rate page: its SVG charts, the roll-up it reads against a raw recount of the rows
(awaiting callback and closed-unresolved included), and the query counts of the page and of intake."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from anju.access.roles import Role
from anju.appeals import clock
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import AWAITING_CALLBACK, Appeal, AppealEvent, Callback, DailyRollup, Status, Summons
from anju.appeals.rates import charts, ranking
from anju.appeals.rates import views as rate_views
from anju.appeals.rates.selectors import RateRow, TierPlan, rates, rates_report, tier_plan, trend_months
from anju.appeals.whistles import services as whistles
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.orgs import services as org_services
from anju.orgs.models import Department, UnitKind
from anju.testing import english_client, make_user, unit
from anju.testing.appeals import AppealsWorld, follow, rollup_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]


# --- the SVG charts -------------------------------------------------------------------------------


def test_bar_width_is_proportional_and_clamped() -> None:
    assert charts.bar_width(100.0) == charts.BAR_MAX
    assert charts.bar_width(50.0) == charts.BAR_MAX / 2
    assert charts.bar_width(25.0, full=200) == 50.0
    assert charts.bar_width(0.0) == 0.0
    assert charts.bar_width(None) == 0.0
    assert charts.bar_width(180.0) == charts.BAR_MAX
    assert charts.bar_width(-3.0) == 0.0


def test_rate_text_zero_denominator_is_a_dash() -> None:
    assert charts.rate_text(None) == "—"
    assert charts.rate_text(0.0) == "0.0%"
    assert charts.rate_text(87.5) == "87.5%"


def test_bars_carry_values_and_counts_and_a_dash_for_nothing_counted() -> None:
    row = RateRow(1, "城管中队", {"dispatched": 4, "responded": 3, "ratings": 2, "satisfied": 0})
    bars = charts.bars_of(row)
    assert [b.series for b in bars] == ["response", "resolution", "satisfaction"]
    assert (bars[0].width, bars[0].text) == (142.5, "75.0% 3/4")
    assert (bars[1].value, bars[1].width, bars[1].text) == (None, 0.0, "— 0/0")  # no callbacks: not 0 %
    assert (bars[2].value, bars[2].width, bars[2].text) == (0.0, 0.0, "0.0% 0/2")  # a real zero stays 0 %
    svg = charts.rate_bars([row], title="Three rates")
    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg
    assert "<title" in svg
    assert re.findall(r'class="chart-response" x="0.0" y="\d+" width="([\d.]+)"', svg) == ["142.5"]
    assert re.findall(r'class="chart-resolution" x="0.0" y="\d+" width="([\d.]+)"', svg) == ["0.0"]
    assert ">75.0% 3/4<" in svg
    assert ">— 0/0<" in svg
    assert ">0.0% 0/2<" in svg
    assert charts.rate_bars([], title="x") == ""


def test_chart_text_is_escaped() -> None:
    row = RateRow(1, "<script>alert(1)</script>", {"dispatched": 1, "responded": 1})
    svg = charts.rate_bars([row], title='a "title" & more')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&quot;title&quot; &amp; more" in svg


def test_trend_breaks_the_line_where_a_month_counted_nothing() -> None:
    def month(m: int, **counts: int) -> RateRow:
        return RateRow(0, f"2026-{m:02d}", counts, month=dt.date(2026, m, 1))

    months = [
        month(1, dispatched=2, responded=1),
        month(2),
        month(3, dispatched=1, responded=1),
        month(4, dispatched=1, responded=0),
    ]
    svg = charts.rate_trend(months, title="Trend")
    # January stands alone (February counted nothing), March–April are joined.
    lines = re.findall(r'class="chart-line chart-line-response" points="([^"]+)"', svg)
    x3, y3 = charts.trend_point(2, 4, 100.0)
    x4, y4 = charts.trend_point(3, 4, 0.0)
    assert lines == [f"{x3},{y3} {x4},{y4}"]
    assert svg.count('<circle class="chart-response"') == 3
    assert "2026-01 · Response rate: 50.0% 1/2" in svg
    assert "chart-resolution" not in svg  # no callback in any month: nothing drawn, nothing invented
    assert charts.trend_point(0, 4, 100.0)[1] == charts.PLOT_TOP
    assert charts.trend_point(0, 4, 0.0)[1] == charts.PLOT_BOTTOM


def test_trend_writes_each_year_once_without_overlap() -> None:
    months = [RateRow(0, "", {}, month=m) for m in trend_months(None, dt.date(2026, 11, 1))]
    svg = charts.rate_trend(months, title="Trend")
    years = re.findall(r'x="([\d.]+)" y="\d+" text-anchor="(\w+)">(20\d\d)<', svg)
    assert [(anchor, year) for _x, anchor, year in years] == [("end", "2025"), ("start", "2026")]
    assert float(years[0][0]) < float(years[1][0])
    later = [RateRow(0, "", {}, month=m) for m in trend_months(dt.date(2026, 3, 1), dt.date(2027, 6, 1))]
    years = re.findall(r'text-anchor="(\w+)">(20\d\d)<', charts.rate_trend(later, title="Trend"))
    assert years == [("middle", "2026"), ("middle", "2027")]


def test_trend_months() -> None:
    months = trend_months(None, None, today=dt.date(2026, 11, 26))
    assert (len(months), months[0], months[-1]) == (12, dt.date(2025, 12, 1), dt.date(2026, 11, 1))
    assert trend_months(dt.date(2026, 3, 15), dt.date(2026, 5, 2)) == [
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
    ]
    long = trend_months(dt.date(2020, 1, 1), dt.date(2026, 5, 2))
    assert (len(long), long[0], long[-1]) == (36, dt.date(2023, 6, 1), dt.date(2026, 5, 1))
    assert trend_months(dt.date(2026, 6, 1), dt.date(2026, 5, 1)) == []


# --- the roll-up against a raw recount ----------------------------------------------------------------


def _mixed(world: AppealsWorld) -> dict[str, Appeal]:
    """A small history with every outcome the rates distinguish."""
    w = world
    got: dict[str, Appeal] = {}
    satisfied, basic, unsatisfied = w.level("satisfied"), w.level("basic"), w.level("unsatisfied")
    got["resolved"] = a = w.to_status(w.file(), Status.VERIFIED)
    callback.appeal_callback(actor=w.resident, appeal=a, resolved=True, satisfaction=satisfied)
    got["unresolved_by_callback"] = a = w.to_status(w.file(), Status.VERIFIED)
    callback.appeal_callback(actor=w.resident, appeal=a, resolved=False, satisfaction=basic)
    got["closed_unresolved"] = a = w.to_status(w.file(), Status.VERIFIED)
    dispatch.appeal_close_unresolved(actor=w.worker, appeal=a, reason="联系不上")
    got["closed_from_handled"] = a = w.to_status(w.file(), Status.HANDLED)
    dispatch.appeal_close_unresolved(actor=w.worker, appeal=a, reason="无法解决")
    got["reopened_then_handled"] = a = w.to_status(w.file(), Status.VERIFIED)
    callback.appeal_callback(actor=w.resident, appeal=a, resolved=False, satisfaction=unsatisfied)
    handling.appeal_sign(actor=w.liaison, appeal=a)
    handling.appeal_feedback(actor=w.liaison, appeal=a, note="再次修复")
    got["returned"] = a = w.to_status(w.file(), Status.HANDLED)
    dispatch.appeal_return(actor=w.worker, appeal=a, reason="还不亮")
    got["handled"] = w.to_status(w.file(), Status.HANDLED)
    got["verified"] = a = w.to_status(w.file(), Status.VERIFIED)
    follow(w.other_resident, a)
    callback.appeal_callback(actor=w.other_resident, appeal=a, resolved=True, satisfaction=satisfied)
    other = w.other_liaison.grants.get().department
    got["other_department"] = a = w.to_status(w.file(), Status.ACCEPTED)
    dispatch.appeal_dispatch(actor=w.worker, appeal=a, department=other)
    handling.appeal_sign(actor=w.other_liaison, appeal=a)
    handling.appeal_feedback(actor=w.other_liaison, appeal=a, note="已处理")
    got["received"] = w.file()
    return got


def _raw_by_department() -> dict[int, Counter[str]]:
    """The counters recounted from the rows themselves (no roll-up)."""
    out: dict[int, Counter[str]] = {}

    def add(dept: int | None, name: str, n: int = 1) -> None:
        out.setdefault(dept or 0, Counter())[name] += n

    for data in AuditEvent.objects.filter(action=Action.APPEAL_TRANSITION).values_list("data", flat=True):
        if data.get("step") == "dispatch":
            add(data["department"], "dispatched")
    for cb in Callback.objects.select_related("satisfaction").filter(counted=True):
        add(cb.department_id, "completed")
        add(cb.department_id, "resolved", int(cb.resolved))
        add(cb.department_id, "ratings")
        add(cb.department_id, "satisfied", int(cb.satisfaction.counts_as_satisfied))
        if not cb.is_follower and not cb.satisfaction.counts_as_satisfied:
            add(cb.department_id, "reopened")
    for event in AppealEvent.objects.filter(action="close").select_related("appeal"):
        add(event.appeal.department_id, "completed")  # closed unresolved: completed, never resolved
    for appeal in Appeal.objects.filter(status__in=AWAITING_CALLBACK):
        add(appeal.department_id, "awaiting_callback")
    return out


COMPARED = ("dispatched", "completed", "resolved", "ratings", "satisfied", "reopened", "awaiting_callback")


def _assert_rollup_matches_raw(world: AppealsWorld) -> None:
    raw = _raw_by_department()
    rows, total = rates(world.supervisor, group="department")
    by_key = {r.key: r for r in rows}
    for dept, counts in raw.items():
        if not dept:
            continue
        row = by_key[dept]
        assert {n: row.counts.get(n, 0) for n in COMPARED} == {n: counts.get(n, 0) for n in COMPARED}, row.label
        assert row.pending_callback == counts.get("awaiting_callback", 0)
    for name in COMPARED:
        assert total.counts.get(name, 0) == sum(c.get(name, 0) for c in raw.values()), name
    assert total.counts["received"] == Appeal.objects.count()
    assert total.pending_callback == Appeal.objects.filter(status__in=AWAITING_CALLBACK).count()
    for group, field in (("community", "community_id"), ("category", "category_id"), ("grid", "grid_id")):
        live = Counter(Appeal.objects.filter(status__in=AWAITING_CALLBACK).values_list(field, flat=True))
        got = {r.key: r.pending_callback for r in rates(world.supervisor, group=group)[0] if r.pending_callback}
        assert got == {k or 0: n for k, n in live.items()}, group
    # A balance, never below zero on any row.
    assert not DailyRollup.objects.filter(awaiting_callback__lt=0).exists()


def test_rollup_figures_equal_a_raw_recount(world: AppealsWorld) -> None:
    got = _mixed(world)
    _assert_rollup_matches_raw(world)
    _rows, total = rates(world.supervisor)
    # Three requesters' callbacks + two closures without one (the follower's answer is not counted by default).
    assert total.counts["completed"] == 5
    assert total.counts["resolved"] == 1  # the resolved one; closures never, the follower's answer not counted
    assert total.pending_callback == 4  # handled, verified, handled again after reopening, other department
    assert got["closed_unresolved"].status == Status.CLOSED_UNRESOLVED
    assert got["returned"].status == Status.IN_PROGRESS


def test_backfill_migration_rebuilds_the_awaiting_balance(world: AppealsWorld) -> None:
    _mixed(world)
    DailyRollup.objects.update(awaiting_callback=0)
    DailyRollup.objects.filter(
        received=0,
        dispatched=0,
        completed=0,
        ratings=0,
        reopened=0,
        summoned=0,
        whistles=0,
    ).delete()
    migration = importlib.import_module("anju.appeals.migrations.0004_rollup_awaiting_callback")
    migration.backfill(django_apps, None)
    _assert_rollup_matches_raw(world)


def test_awaiting_callback_follows_the_period_by_received_day(world: AppealsWorld) -> None:
    old_day = timezone.now() - dt.timedelta(days=40)
    with clock.frozen(old_day):
        old = world.to_status(world.file(), Status.HANDLED)
    new = world.to_status(world.file(), Status.HANDLED)
    today = timezone.localdate()
    assert rates(world.supervisor)[1].pending_callback == 2
    assert rates(world.supervisor, start=today - dt.timedelta(days=5))[1].pending_callback == 1
    assert rates(world.supervisor, end=today - dt.timedelta(days=30))[1].pending_callback == 1
    # The drill-down link of the page lists exactly those.
    start = (today - dt.timedelta(days=5)).isoformat()
    page = english_client(world.supervisor).get(f"/appeals/rates/?start={start}").content.decode()
    assert "data-pending>1<" in page
    link = re.search(r'href="(/appeals/\?view=all&amp;pending=1&amp;start=[^"]+)"', page)
    assert link is not None
    listing = english_client(world.supervisor).get(link.group(1).replace("&amp;", "&")).content.decode()
    assert new.number in listing
    assert old.number not in listing
    # Leaving the state takes it off the row of its received day, not today's.
    dispatch.appeal_verify(actor=world.worker, appeal=old)
    dispatch.appeal_close_unresolved(actor=world.worker, appeal=old, reason="联系不上")
    assert rates(world.supervisor)[1].pending_callback == 1
    assert rates(world.supervisor, end=today - dt.timedelta(days=30))[1].pending_callback == 0


def test_monthly_trend_from_the_rollup(world: AppealsWorld) -> None:
    now = timezone.now()
    with clock.frozen(now - dt.timedelta(days=62)):
        a = world.to_status(world.file(), Status.VERIFIED)
        callback.appeal_callback(actor=world.resident, appeal=a, resolved=True, satisfaction=world.level("satisfied"))
    world.to_status(world.file(), Status.HANDLED)
    report = rates_report(world.supervisor)
    old_month = timezone.localtime(now - dt.timedelta(days=62)).date().replace(day=1)
    # Without a period the trend starts at the first month with anything counted, and ends this month.
    assert report.months[0].month == old_month
    assert report.months[-1].month == timezone.localdate().replace(day=1)
    assert len(report.months) in (3, 4)
    by_month = {m.month: m for m in report.months}
    assert by_month[old_month].counts["resolved"] == 1
    assert by_month[old_month].resolution_rate == 100.0
    assert report.months[-1].resolution_rate is None  # nothing called back this month: "—", not 0 %
    assert report.months[-1].pending_callback == 1
    assert sum(m.counts.get("dispatched", 0) for m in report.months) == report.total.counts["dispatched"] == 2
    start = timezone.localdate() - dt.timedelta(days=200)
    assert len(rates_report(world.supervisor, start=start).months) >= 7  # a period asked for is shown whole


# --- the response rate counts each appeal once (docs/rates.md) ----------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _dispatched(world: AppealsWorld, at: dt.datetime, department: Department | None = None) -> Appeal:
    with clock.frozen(at):
        a = world.file()
        dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=department or world.tree.department)
    return a


def _respond(liaison: Any, a: Appeal, at: dt.datetime) -> None:
    """Sign at ``at`` and contact the requester ten minutes later."""
    with clock.frozen(at):
        handling.appeal_sign(actor=liaison, appeal=a)
    with clock.frozen(at + dt.timedelta(minutes=10)):
        handling.appeal_contact(actor=liaison, appeal=a, note="电话联系")


def _issue_figures(world: AppealsWorld) -> None:
    """The issue's set: 13 appeals of 安居社区 dispatched in March, 9 answered in time, one of them referred back
    and re-dispatched elsewhere and one re-routed by the community; 4 more in April, 2 answered in time."""
    w, other = world, world.other_liaison.grants.get().department
    for n in range(7):  # dispatched once, answered in time
        a = _dispatched(w, _at(3, 2 + n))
        _respond(w.liaison, a, _at(3, 2 + n, 10))
    referred = _dispatched(w, _at(3, 10))
    with clock.frozen(_at(3, 10, 9, 30)):
        dispatch.appeal_refer(actor=w.liaison, appeal=referred, reason="不归我们管")
    with clock.frozen(_at(3, 10, 10)):
        dispatch.appeal_dispatch(actor=w.worker, appeal=referred, department=other)
    _respond(w.other_liaison, referred, _at(3, 10, 11))
    rerouted = _dispatched(w, _at(3, 11))
    with clock.frozen(_at(3, 11, 9, 20)):
        dispatch.appeal_dispatch(actor=w.worker, appeal=rerouted, department=other)
    _respond(w.other_liaison, rerouted, _at(3, 11, 10))
    for n in range(4):  # signed too late, or never
        a = _dispatched(w, _at(3, 16 + n))
        if n % 2:
            _respond(w.liaison, a, _at(3, 16 + n, 15))
    for n in range(4):  # April: two in time, two late
        a = _dispatched(w, _at(4, 7 + n))
        _respond(w.liaison, a, _at(4, 7 + n, 10 if n < 2 else 16))


def test_redispatch_counts_an_appeal_once_in_the_response_rate(world: AppealsWorld) -> None:
    """Fails on the old roll-up, which counted every dispatch: 11/19 (57.9 %) and 9/15 (60.0 %) in March."""
    _issue_figures(world)
    _rows, total = rates(world.supervisor)
    assert (total.counts["responded"], total.counts["dispatched"], total.response_rate) == (11, 17, 64.7)
    march = rates(world.supervisor, group="community", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))[0]
    assert [(r.label, r.counts["responded"], r.counts["dispatched"], r.response_rate) for r in march] == [
        ("安居社区", 9, 13, 69.2)
    ]
    # The referring department and the one whose dispatch was re-routed are not charged with either appeal;
    # the department that kept them is, once.
    by_dept = {r.key: r for r in rates(world.supervisor, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))[0]}
    other = world.other_liaison.grants.get().department
    assert (
        by_dept[world.tree.department.pk].counts["responded"],
        by_dept[world.tree.department.pk].counts["dispatched"],
    ) == (7, 11)
    assert (by_dept[other.pk].counts["responded"], by_dept[other.pk].counts["dispatched"]) == (2, 2)
    # Routing accuracy is the community's own figure: 15 dispatches to a department, 2 of them sent wrongly.
    assert (march[0].counts["dispatches"], march[0].counts["misrouted"], march[0].routing_rate) == (15, 2, 86.7)
    page = english_client(world.supervisor).get("/appeals/rates/?group=community&start=2026-03-01&end=2026-03-31")
    html = page.content.decode()
    assert 'data-rate="response">69.2%<' in html
    assert 'data-rate="routing">86.7%<' in html
    assert "2 of 15 re-routed" in html


def test_a_referral_the_community_does_not_take_is_a_missed_response(world: AppealsWorld) -> None:
    a = _dispatched(world, _at(3, 2))
    with clock.frozen(_at(3, 2, 9, 30)):
        dispatch.appeal_refer(actor=world.liaison, appeal=a, reason="不归我们管")
    with clock.frozen(_at(3, 2, 10)):
        dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=world.tree.department)
    _respond(world.liaison, a, _at(3, 2, 10, 30))  # in time for the second dispatch, but the first was refused
    _rows, total = rates(world.supervisor)
    assert (total.counts["responded"], total.counts["dispatched"]) == (0, 1)
    assert (total.counts["dispatches"], total.counts["misrouted"], total.routing_rate) == (1, 0, 100.0)
    a.refresh_from_db()
    assert a.responded_on_time is False


def test_a_reopened_round_referred_elsewhere_is_not_counted_again(world: AppealsWorld) -> None:
    """Fails on the old roll-up: the second department's signing after the reopen counted a second response."""
    other = world.other_liaison.grants.get().department
    a = _dispatched(world, _at(3, 2))
    _respond(world.liaison, a, _at(3, 2, 10))
    with clock.frozen(_at(3, 3)):
        handling.appeal_feedback(actor=world.liaison, appeal=a, note="已修复")
        dispatch.appeal_verify(actor=world.worker, appeal=a)
        callback.appeal_callback(
            actor=world.resident, appeal=a, resolved=False, satisfaction=world.level("unsatisfied")
        )
    with clock.frozen(_at(3, 4)):
        handling.appeal_sign(actor=world.liaison, appeal=a)
        dispatch.appeal_refer(actor=world.liaison, appeal=a, reason="其实是供电的问题")
        dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=other)
    _respond(world.other_liaison, a, _at(3, 4, 10))
    rows, total = rates(world.supervisor)
    assert (total.counts["responded"], total.counts["dispatched"]) == (1, 1)
    assert {r.key: (r.counts.get("responded", 0), r.counts.get("dispatched", 0)) for r in rows} == {
        world.tree.department.pk: (1, 1)
    }
    assert (total.counts["dispatches"], total.counts["misrouted"]) == (2, 1)


def test_rollup_rebuild_gives_the_same_figures(world: AppealsWorld) -> None:
    _issue_figures(world)
    _mixed(world)
    a = world.to_status(world.file(), Status.SIGNED)
    whistle = whistles.whistle_blow(actor=world.worker, appeal=a, departments=[world.tree.department], minutes=30)
    whistles.summons_checkin(actor=world.liaison, summons=whistle.summonses.get(), method=Summons.Arrival.SELF_DECLARED)
    kept = rollup_rows()
    before = rates_report(world.supervisor, group="community")
    DailyRollup.objects.update(dispatched=0, responded=0, completed=0, awaiting_callback=0)
    # History from before the department was written on the dispatch step: the migration takes it from the
    # audit trail.
    for event in AppealEvent.objects.filter(action="dispatch"):
        event.note_params.pop("department_id")
        event.save(update_fields=["note_params"])
    importlib.import_module("anju.appeals.migrations.0013_rollup_routing").dispatch_departments(django_apps, None)
    assert not AppealEvent.objects.filter(action="dispatch").exclude(note_params__has_key="department_id").exists()
    out = io.StringIO()
    call_command("rollup_rebuild", stdout=out)
    assert "Roll-up rebuilt" in out.getvalue()
    assert rollup_rows() == kept
    after = rates_report(world.supervisor, group="community")
    assert [r.counts for r in after.rows] == [r.counts for r in before.rows]
    assert AuditEvent.objects.filter(action=Action.APPEAL_ROLLUP_REBUILT).count() == 1


# --- the page ---------------------------------------------------------------------------------------


def test_rates_page_draws_charts_with_counts_and_dashes(world: AppealsWorld) -> None:
    world.to_status(world.file(), Status.HANDLED)
    page = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert page.count("<svg") >= 2
    assert 'data-chart="bars"' in page
    assert 'data-chart="trend"' in page
    assert "appeals/rates.css" in page
    assert "Ranking of departments" in page
    assert ">100.0% 1/1<" in page  # signed and contacted on time, drawn with its counts
    assert ">— 0/0<" in page  # no callback yet: a dash, not 0 %
    assert "—%" not in page
    assert 'data-rate="resolution">—<' in page
    assert "data-months" in page
    month = timezone.localdate().replace(day=1)
    assert f"start={month:%Y-%m-%d}" in page  # the month's drill-down
    dept = world.tree.department.pk
    assert f"pending=1&amp;department={dept}" in page  # awaiting callback per department, drillable


def test_each_table_row_escapes_its_name_and_links_to_its_appeals_for_the_period(world: AppealsWorld) -> None:
    """The rows of both tables are drawn in Python (``rate_tables``): a name is escaped, each group's row links to
    its appeals (and to those awaiting callback) for the period asked, a department not yet ranked says so, other
    groups show routing accuracy, and each month links to its own days."""
    world.tree.department.name = '<i>城管</i> & "Co"'
    world.tree.department.save()
    world.to_status(world.file(), Status.HANDLED)
    client = english_client(world.supervisor)
    today = timezone.localdate()
    start = today.replace(day=1)
    page = client.get(f"/appeals/rates/?start={start:%Y-%m-%d}&end={today:%Y-%m-%d}").content.decode()
    dept = world.tree.department.pk
    period = f"&amp;start={start:%Y-%m-%d}&amp;end={today:%Y-%m-%d}"
    name = "&lt;i&gt;城管&lt;/i&gt; &amp; &quot;Co&quot;"
    assert f'<td class="rate-name"><a href="/appeals/?view=all&amp;department={dept}{period}">{name}</a></td>' in page
    assert f'<a href="/appeals/?view=all&amp;pending=1&amp;department={dept}{period}">1</a>' in page
    assert '<span class="small muted" data-unranked>not ranked yet</span>' in page
    assert "<i>" not in page
    by_grid = client.get("/appeals/rates/?group=grid").content.decode()
    assert '<td class="nowrap" data-routing>100.0% <span class="small muted">0 of 1 re-routed</span></td>' in by_grid
    month_last = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    assert (
        f'<a href="/appeals/?view=all&amp;start={start:%Y-%m-%d}&amp;end={month_last:%Y-%m-%d}">{start:%Y-%m}</a>'
        in by_grid
    )


def test_formula_line_says_how_each_case_counts_in_both_languages(world: AppealsWorld) -> None:
    """The page's formula line states the written definitions (docs/rates.md) in English and in zh-Hans."""
    english = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    formula = english[english.index("data-formula") : english.index('<div class="cards">')]
    for words in (
        "each appeal once, on the dispatch that kept it",
        "re-routed",
        "rightly referred back",
        "counts as a missed response",
        "A reopened round gets fresh deadlines from the reopening but is not counted in the response rate again",
        "closed-unresolved stays in the denominator",
        "Followers' answers count in both only where the community chose so",
        "A complex appeal counts like any other",
        "the appeals each department marked complex are counted in its row",
        "Routing accuracy (the community's) = dispatches kept",
    ):
        assert words in formula, words
    chinese = Client()
    chinese.force_login(world.supervisor)
    page = chinese.get("/appeals/rates/").content.decode()
    formula = page[page.index("data-formula") : page.index('<div class="cards">')]
    for words in (
        "每件诉求只计一次",
        "社区改派",
        "理由成立的退回",
        "未按时响应",
        "重办的一轮自重办之时重新计算时限，但不再重复计入响应率",
        "我也遇到",
        "复杂诉求",
        "各部门标为复杂的诉求数",
        "派单准确率",
    ):
        assert words in formula, words


def test_rates_page_is_empty_without_data(world: AppealsWorld) -> None:
    page = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert "No appeals in this period." in page
    assert 'data-chart="bars"' not in page
    assert "0.0%" not in page


@pytest.mark.parametrize(
    "query",
    [
        {},  # all time: the monthly tier
        {"start": "2025-01-03", "end": "2025-01-20"},  # a short period: the daily tier
        {"start": "2025-01-03", "end": "2025-06-20", "group": "grid"},  # both tiers
    ],
)
def test_a_reader_of_a_street_without_communities_sees_empty_rates(world: AppealsWorld, query: dict[str, str]) -> None:
    street = unit(UnitKind.STREET, "新设街道", world.tree.district)
    reader = english_client(make_user(Role.SUPERVISOR, street))
    response = reader.get("/appeals/rates/", query)
    assert response.status_code == 200
    assert "No appeals in this period." in response.content.decode()
    api = reader.get("/api/v1/appeals/rates", query)
    assert api.status_code == 200
    assert api.json() == []


def test_excel_has_a_month_sheet(world: AppealsWorld) -> None:
    world.to_status(world.file(), Status.HANDLED)
    response = english_client(world.supervisor).get("/appeals/rates/?format=xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 2
    months = list(wb.worksheets[1].iter_rows(values_only=True))
    assert months[0][0] == "Month"
    assert months[-1][0] == f"{timezone.localdate():%Y-%m}"
    assert months[-1][1] == 1  # dispatched
    assert months[-1][-1] == 1  # awaiting callback


# --- query counts -------------------------------------------------------------------------------------


def _page_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


# the reference-data token (the grants, the communities in reach and the groups' names are the process's while it
# holds), the inbox badge, the roll-up (by community: one aggregate; by any other group: its sums by key, then the
# totals by month)
RATES_PAGE_QUERIES = {"department": 4, "category": 4, "community": 3, "grid": 4}


@pytest.mark.parametrize("group", ["department", "category", "community", "grid"])
def test_rates_page_query_count_is_constant(world: AppealsWorld, group: str, django_assert_num_queries: Any) -> None:
    c = english_client(world.supervisor)
    world.to_status(world.file(), Status.HANDLED)
    url = f"/appeals/rates/?group={group}"
    _page_queries(c, url)  # the first request fills the shared session and user cache
    small = _page_queries(c, url)
    for i in range(4):
        dept = org_services.department_create(
            actor=None, name=f"部门{i}", kind=Department.Kind.URBAN_MANAGEMENT, unit=world.tree.street
        )
        for status in (Status.DISPATCHED, Status.HANDLED, Status.VERIFIED):
            a = world.file()
            dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=dept)
            if status != Status.DISPATCHED:
                liaison = make_user(Role.DEPARTMENT_LIAISON, world.tree.street, department=dept)
                handling.appeal_sign(actor=liaison, appeal=a)
                handling.appeal_feedback(actor=liaison, appeal=a, note="好了")
                if status == Status.VERIFIED:
                    dispatch.appeal_verify(actor=world.worker, appeal=a)
    _page_queries(c, url)  # the new departments and grants renewed the reference data: worked out once again
    large = _page_queries(c, url)
    assert len(large) == len(small) == RATES_PAGE_QUERIES[group]
    # The page reads the roll-up only, never the appeal rows.
    assert not [sql for sql in large if '"appeals_appeal"' in sql]
    with django_assert_num_queries(RATES_PAGE_QUERIES[group]):
        c.get(url)
    if group == "department":
        rows, total = rates(world.supervisor)
        assert len(rows) == 5
        assert total.pending_callback == 1 + 8


INTAKE_API_QUERIES = 19  # … with the received count bumped in both roll-up tiers (the monthly one in one upsert)
INTAKE_PAGE_QUERIES = 20


def test_filing_by_api_query_count(world: AppealsWorld, django_assert_num_queries: Any) -> None:
    c = english_client(world.resident)
    body = json.dumps({"category": "street-lamp", "description": "路灯不亮", "location_id": world.tree.building.pk})
    assert c.post("/api/v1/appeals", body, content_type="application/json").status_code == 201
    with django_assert_num_queries(INTAKE_API_QUERIES):
        assert c.post("/api/v1/appeals", body, content_type="application/json").status_code == 201
    # More staff to notify costs no more statements (notifications and outbox rows are written in bulk).
    for _ in range(3):
        make_user(Role.COMMUNITY_WORKER, world.tree.community)
    c.get("/api/v1/appeals")  # the new workers' grants renewed the reference data: the resident's worked out again
    with django_assert_num_queries(INTAKE_API_QUERIES):
        response = c.post("/api/v1/appeals", body, content_type="application/json")
    assert response.status_code == 201
    appeal = Appeal.objects.get(pk=response.json()["id"])
    assert (appeal.community_id, appeal.grid_id) == (world.tree.community.pk, world.tree.grid.pk)


def test_filing_on_the_page_query_count(world: AppealsWorld, django_assert_num_queries: Any) -> None:
    c = english_client(world.resident)
    data = {
        "category": world.category.pk,
        "description": "路灯不亮",
        "location": world.tree.building.pk,
        "urgency": "general",
        "file_anyway": "1",
    }
    assert c.post("/appeals/new/", data).status_code == 302
    with django_assert_num_queries(INTAKE_PAGE_QUERIES):
        response = c.post("/appeals/new/", data)
    assert response.status_code == 302
    appeal = Appeal.objects.order_by("-pk").first()
    assert appeal is not None
    assert appeal.community_id == world.tree.community.pk
    assert appeal.grid_id == world.tree.grid.pk
    assert appeal.requester_id == world.resident.pk


def test_grid_of_the_place_is_unchanged_by_the_shortcut(world: AppealsWorld) -> None:
    """The grid comes from the parent loaded with the place when it is one, from the tree otherwise."""
    from anju.testing import unit

    c = english_client(world.resident)
    area_building = unit("building", "2栋", world.tree.area)  # a building outside any grid

    def filed_at(location_id: int) -> Appeal:
        body = json.dumps({"category": "street-lamp", "description": "路灯不亮", "location_id": location_id})
        response = c.post("/api/v1/appeals", body, content_type="application/json")
        assert response.status_code == 201, response.content
        return Appeal.objects.get(pk=response.json()["id"])

    assert filed_at(world.tree.building.pk).grid_id == world.tree.grid.pk  # parent is the grid
    assert filed_at(world.tree.grid.pk).grid_id == world.tree.grid.pk  # the grid itself
    assert filed_at(world.tree.area.pk).grid_id is None
    assert filed_at(area_building.pk).grid_id is None
    deep = world.file(location=world.tree.building)  # the service alone, without the parent loaded
    assert deep.grid_id == world.tree.grid.pk


# --- the department ranking and the home card ----------------------------------------------------


def test_wilson_lower_bound_rewards_evidence() -> None:
    assert ranking.wilson_lower(0, 0) is None
    assert round(ranking.wilson_lower(2, 3) or 0, 2) == 0.21
    assert round(ranking.wilson_lower(95, 100) or 0, 2) == 0.89
    assert ranking.wilson_lower(3, 3) < ranking.wilson_lower(95, 100)  # type: ignore[operator]  # both known


def _counts_for(world: AppealsWorld, department: Department, **counts: int) -> None:
    from anju.appeals.rates import rollup

    with transaction.atomic():
        rollup.bump(
            day=timezone.localdate(), community_id=world.tree.community.pk, department_id=department.pk, **counts
        )


def _few_and_many(world: AppealsWorld) -> tuple[Department, Department]:
    few = org_services.department_create(
        actor=None, name="小样本所", kind=Department.Kind.POWER, unit=world.tree.street
    )
    many = world.tree.department
    # The demo's case: 2 of 3 responses and one perfect callback outscore 95 of 100 on raw rates.
    _counts_for(world, few, responded=2, dispatched=3, resolved=1, completed=1, satisfied=1, ratings=1)
    _counts_for(world, many, responded=95, dispatched=100, resolved=80, completed=100, satisfied=85, ratings=100)
    return few, many


def test_two_of_three_never_ranks_above_ninety_five_of_a_hundred(world: AppealsWorld) -> None:
    few, many = _few_and_many(world)
    rows = rates(world.supervisor, group="department")[0]
    assert [r.key for r in rows][:2] == [many.pk, few.pk]
    by_key = {r.key: r for r in rows}
    assert by_key[many.pk].rank == 1
    assert by_key[few.pk].rank is None  # below the minimum sample: listed, not ranked
    # Even with the minimum sample out of the way, the score orders them by evidence, not by raw rate.
    assert ranking.rank([RateRow(1, "a", {"dispatched": 3, "responded": 3})], min_sample=1)[0].score < (
        ranking.rank([RateRow(2, "b", {"dispatched": 100, "responded": 95})], min_sample=1)[0].score
    )
    page = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert page.index(many.name) < page.index(few.name)
    assert "not ranked" in page


def test_supervisor_and_secretary_homes_show_rates_overdue_and_ranking(world: AppealsWorld) -> None:
    few, many = _few_and_many(world)
    late = world.file()
    world.to_status(late, "dispatched")
    with transaction.atomic():
        Appeal.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=3))
    secretary = make_user(Role.BRANCH_SECRETARY, world.tree.community)
    for user in (world.supervisor, secretary):
        page = english_client(user).get("/").content.decode()
        assert 'data-home-card="rates"' in page
        assert 'data-rate="response"' in page
        assert 'data-overdue="1"' in page
        ranking_html = page[page.index("data-ranking") : page.index("data-unranked")]
        assert many.name in ranking_html
        assert few.name not in ranking_html
        assert few.name in page[page.index("data-unranked") :]
        assert "Wilson" in page
    # A community worker's home keeps its queue; the rates are the secretary's and supervisor's.
    assert 'data-home-card="rates"' not in english_client(world.worker).get("/").content.decode()


def test_rates_card_reads_the_rollup_in_a_constant_number_of_queries(
    world: AppealsWorld, django_assert_max_num_queries: Any
) -> None:
    from anju.appeals import home

    _few_and_many(world)
    home.rates_card(world.supervisor, "supervisor")  # the grants and reach worked out once (core.stamp)
    with django_assert_max_num_queries(8):
        card = home.rates_card(world.supervisor, "supervisor")
    assert card is not None
    assert card["ranked_count"] == 1


def test_the_tier_follows_the_period() -> None:
    d = dt.date
    # All time, and a start or an end alone: whole months from the monthly tier, the partial month's days daily.
    assert tier_plan(None, None).months == (None, None)
    assert tier_plan(None, None).days == ()
    assert tier_plan(d(2026, 1, 1), None).months == (d(2026, 1, 1), None)
    assert tier_plan(d(2026, 1, 15), None).days == ((d(2026, 1, 15), d(2026, 1, 31)),)
    assert tier_plan(None, d(2026, 3, 31)).months == (None, d(2026, 3, 1))
    assert tier_plan(None, d(2026, 3, 30)).days == ((d(2026, 3, 1), d(2026, 3, 30)),)
    # A short period: the daily tier alone.
    assert tier_plan(d(2026, 1, 1), d(2026, 1, 31)) == TierPlan(None, ((d(2026, 1, 1), d(2026, 1, 31)),))
    # A long one: whole months monthly, the edges daily, each day once.
    plan = tier_plan(d(2025, 12, 20), d(2026, 4, 10))
    assert plan.months == (d(2026, 1, 1), d(2026, 3, 1))
    assert plan.days == ((d(2025, 12, 20), d(2025, 12, 31)), (d(2026, 4, 1), d(2026, 4, 10)))
    assert tier_plan(d(2026, 1, 1), d(2026, 12, 31)) == TierPlan((d(2026, 1, 1), d(2026, 12, 1)), ())
    # Dates at the ends of the calendar do not break the month arithmetic.
    assert tier_plan(d(1, 1, 1), d(9999, 12, 31)).months == (d(1, 1, 1), None)
    assert tier_plan(d(9999, 12, 31), None).months is None


def test_rates_page_with_no_period_reads_the_monthly_tier(world: AppealsWorld) -> None:
    world.to_status(world.file(), Status.HANDLED)
    sql = _page_queries(english_client(world.supervisor), "/appeals/rates/")
    assert [q for q in sql if "appeals_monthlyrollup" in q]
    assert not [q for q in sql if "appeals_dailyrollup" in q]
    sql = _page_queries(
        english_client(world.supervisor),
        f"/appeals/rates/?start={timezone.localdate() - dt.timedelta(days=3)}&end={timezone.localdate()}",
    )
    assert [q for q in sql if "appeals_dailyrollup" in q]


def test_the_rates_table_and_chart_are_paged_and_the_export_holds_every_row(
    world: AppealsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A district's grids number in the hundreds: the table and the chart show a page of groups at a time."""
    monkeypatch.setattr(rate_views, "ROWS_PER_PAGE", 2)
    c = english_client(world.supervisor)
    names = []
    for i in range(3):
        dept = org_services.department_create(
            actor=None, name=f"分页部门{i}", kind=Department.Kind.URBAN_MANAGEMENT, unit=world.tree.street
        )
        names.append(dept.name)
        dispatch.appeal_dispatch(actor=world.worker, appeal=world.file(), department=dept)
    first = c.get("/appeals/rates/?group=department").content.decode()
    second = c.get("/appeals/rates/?group=department&page=2").content.decode()
    table_first = first[first.index("data-rates") :]
    table_second = second[second.index("data-rates") :]
    shown_first = [n for n in names if n in table_first.split("</table>")[0]]
    shown_second = [n for n in names if n in table_second.split("</table>")[0]]
    assert len(shown_first) == 2
    assert len(shown_second) == 1
    assert set(shown_first) | set(shown_second) == set(names)
    assert "Rows 1–2 of 3" in first
    assert 'href="?group=department&amp;page=2"' in first
    chart = first[first.index('data-chart="bars"') : first.index("</svg>")]
    assert [n for n in names if n in chart] == shown_first
    sheet = c.get("/appeals/rates/?group=department&format=xlsx")
    assert sheet.status_code == 200
    cells = {str(v) for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True) for v in row}
    assert set(names) <= cells


def test_a_department_renamed_in_sql_shows_renamed_on_the_rates_page_at_once(world: AppealsWorld) -> None:
    """The groups' names are kept by the process (core.stamp) until a reference table changes, by any path."""
    c = english_client(world.supervisor)
    world.to_status(world.file(), Status.HANDLED)
    assert world.tree.department.name in c.get("/appeals/rates/?group=department").content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orgs_department SET name = %s WHERE id = %s", ["改名中队", world.tree.department.pk])
    page = c.get("/appeals/rates/?group=department").content.decode()
    assert "改名中队" in page
    assert world.tree.department.name not in page
