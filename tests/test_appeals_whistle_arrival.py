"""How a whistled department's arrival is known: scanning the site code or a community worker's confirmation
on site counts as on time; the liaison's "we have arrived" button, pressed from anywhere, is recorded as
self-declared and does not. The timeline says how in the reader's language; the rates show the split; the
migration marks earlier arrivals (all from the button) self-declared."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import translation

from anju.appeals.models import AppealEvent, DailyRollup, Status, Summons
from anju.appeals.services import InvalidTransition
from anju.appeals.whistles import services as whistles
from anju.appeals.whistles import sitecode
from anju.audit.models import AuditEvent
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SPLIT = ("arrived_on_time", "arrived_scanned", "arrived_confirmed", "arrived_self_declared")


def _summons(world: AppealsWorld) -> Summons:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    whistle = whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[world.tree.department])
    return whistle.summonses.select_related("whistle__appeal", "department").get()


def _rollup() -> dict[str, int]:
    sums = DailyRollup.objects.aggregate(**{name: Sum(name) for name in SPLIT})
    return {name: int(sums[name] or 0) for name in SPLIT}


def _timeline(summons: Summons, language: str) -> list[str]:
    events = AppealEvent.objects.filter(appeal=summons.whistle.appeal, action="checkin").order_by("id")
    with translation.override(language):
        return [e.text for e in events]


def test_the_button_records_a_self_declared_arrival_that_a_scan_then_verifies(world: AppealsWorld) -> None:
    summons = _summons(world)
    pressed = whistles.summons_checkin(actor=world.liaison, summons=summons)
    assert pressed.arrival_method == Summons.Arrival.SELF_DECLARED
    assert pressed.on_time is False
    assert _rollup() == {"arrived_on_time": 0, "arrived_scanned": 0, "arrived_confirmed": 0, "arrived_self_declared": 1}
    dept = world.tree.department.name
    assert _timeline(summons, "en") == [f"{dept} arrived on site: self-declared, not verified."]
    assert "自行申报" in _timeline(summons, "zh-hans")[0]
    with pytest.raises(InvalidTransition, match="already recorded"):  # pressing again changes nothing
        whistles.summons_checkin(actor=world.liaison, summons=summons)

    site = sitecode.checkin_by_code(actor=world.liaison, token=sitecode.whistle_token(summons.whistle))
    assert [s.arrival_method for s in site.mine] == [Summons.Arrival.SCANNED]
    assert site.mine[0].on_time is True
    assert _rollup() == {"arrived_on_time": 1, "arrived_scanned": 1, "arrived_confirmed": 0, "arrived_self_declared": 0}
    assert _timeline(summons, "en")[-1] == f"{dept} arrived on site: scanned the site code."
    assert "扫描现场码" in _timeline(summons, "zh-hans")[-1]
    # Scanning again: the verified arrival stands, nothing is written.
    again = sitecode.checkin_by_code(actor=world.liaison, token=sitecode.whistle_token(summons.whistle))
    assert again.recorded == []
    assert AuditEvent.objects.filter(action="appeal.checkin").count() == 2


def test_a_community_worker_confirms_on_site_and_a_liaison_cannot(world: AppealsWorld) -> None:
    summons = _summons(world)
    with pytest.raises(PermissionDenied):
        whistles.summons_checkin(actor=world.liaison, summons=summons, method=Summons.Arrival.CONFIRMED)
    confirmed = whistles.summons_checkin(actor=world.worker, summons=summons, method=Summons.Arrival.CONFIRMED)
    assert confirmed.arrival_method == Summons.Arrival.CONFIRMED
    assert confirmed.on_time is True
    assert confirmed.arrived_by == world.worker
    assert _rollup()["arrived_confirmed"] == 1
    assert _rollup()["arrived_on_time"] == 1
    assert "confirmed on site by a community worker" in _timeline(summons, "en")[0]
    # A verified arrival is not replaced, neither by the button nor by a second confirmation.
    with pytest.raises(InvalidTransition):
        whistles.summons_checkin(actor=world.liaison, summons=summons)
    with pytest.raises(InvalidTransition):
        whistles.summons_checkin(actor=world.worker, summons=summons, method=Summons.Arrival.CONFIRMED)
    assert AuditEvent.objects.filter(action="appeal.checkin").count() == 1


def test_pages_show_the_method_and_the_rates_show_the_split(world: AppealsWorld) -> None:
    summons = _summons(world)
    appeal = summons.whistle.appeal
    liaison = english_client(world.liaison)
    answer = liaison.post(f"/appeals/{appeal.pk}/summons/{summons.pk}/checkin/", follow=True)
    page = answer.content.decode()
    assert "Arrival recorded as self-declared: it does not count as on time." in page
    worker_page = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'data-arrival-method="self_declared"' in worker_page
    assert "not counted" in worker_page
    assert f"/appeals/{appeal.pk}/summons/{summons.pk}/confirm/" in worker_page
    rates = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert "0/1" in rates  # summoned once, no on-time arrival
    assert "Arrivals: 0 scanned the site code, 0 confirmed on site, 1 self-declared (not counted)" in rates
    english_client(world.worker).post(f"/appeals/{appeal.pk}/summons/{summons.pk}/confirm/")
    rates = english_client(world.supervisor).get("/appeals/rates/").content.decode()
    assert "Arrivals: 0 scanned the site code, 1 confirmed on site, 0 self-declared (not counted)" in rates


def test_migration_marks_earlier_arrivals_self_declared_and_takes_back_their_on_time_count(world: AppealsWorld) -> None:
    migration = importlib.import_module("anju.appeals.migrations.0011_summons_arrival_method")
    summons = _summons(world)
    late = _summons(world)
    # As the code before this change recorded them: no method, counted on time when before the deadline.
    for s in (summons, late):
        whistles.summons_checkin(actor=world.liaison, summons=s)
        Summons.objects.filter(pk=s.pk).update(arrival_method="")
    Summons.objects.filter(pk=late.pk).update(arrive_by=late.whistle.blown_at)
    DailyRollup.objects.update(arrived_self_declared=0)
    first = DailyRollup.objects.filter(department_key=world.tree.department.pk).order_by("pk").first()
    assert first is not None
    DailyRollup.objects.filter(pk=first.pk).update(arrived_on_time=1)
    assert _rollup()["arrived_on_time"] == 1
    migration.existing_arrivals_were_self_declared(apps, None)
    assert set(Summons.objects.values_list("arrival_method", flat=True)) == {Summons.Arrival.SELF_DECLARED}
    assert _rollup() == {"arrived_on_time": 0, "arrived_scanned": 0, "arrived_confirmed": 0, "arrived_self_declared": 2}


def test_unknown_method_is_a_programming_error(world: AppealsWorld) -> None:
    with pytest.raises(ValueError, match="unknown arrival method"):
        whistles.summons_checkin(actor=world.liaison, summons=_summons(world), method="teleported")
