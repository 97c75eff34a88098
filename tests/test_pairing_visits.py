"""Care levels and cadences, the visit plan across month ends, the visit log (idempotent, appeals in the same
step), registry events ending pairings, bad input refused with nothing written, and who sees what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.appeals.models import Appeal, Category, Channel
from anju.audit.models import AuditEvent, PiiAccess
from anju.pairing import plan, selectors, services
from anju.pairing.models import Care, CareLevel, Pairing, Visit
from anju.people import services as people
from anju.people.models import Household, Resident
from anju.testing.pairing import PairingWorld, add_household, make_pairing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw() -> PairingWorld:
    return make_pairing_world()


def _pair_all(pw: PairingWorld) -> None:
    for h in pw.households:
        services.pairing_set(actor=None, household=h, central=pw.central, reason="包保")


# --- cadence and due ---------------------------------------------------------------------------------


def test_monthly_cadence_across_month_ends() -> None:
    monthly = plan.Every(1, "months")
    assert monthly.after(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert monthly.after(dt.date(2028, 1, 31)) == dt.date(2028, 2, 29)
    assert monthly.after(dt.date(2026, 12, 15)) == dt.date(2027, 1, 15)
    assert plan.Every(3, "months").after(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)
    assert plan.Every(2, "weeks").after(dt.date(2026, 2, 20)) == dt.date(2026, 3, 6)
    # Due from the last contact, else from the pairing day.
    assert plan.due_on(last_contact=None, paired_on=dt.date(2026, 3, 1), every=monthly) == dt.date(2026, 3, 1)
    assert plan.within_cadence(last_contact=dt.date(2026, 1, 31), every=monthly, today=dt.date(2026, 2, 28))
    assert not plan.within_cadence(last_contact=dt.date(2026, 1, 31), every=monthly, today=dt.date(2026, 3, 1))
    assert plan.week_of(dt.date(2026, 12, 31)) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))


def test_default_cadences_and_a_community_override(pw: PairingWorld) -> None:
    every = selectors.cadences_of(pw.tree.community.pk)
    assert every[CareLevel.ALONE] == plan.Every(1, "weeks")
    assert every[CareLevel.AGED_80] == every[CareLevel.DISABILITY] == plan.Every(2, "weeks")
    assert every[CareLevel.DIBAO] == every[CareLevel.FOCUS] == plan.Every(1, "months")
    assert every[CareLevel.ORDINARY] == plan.Every(3, "months")
    services.cadence_set(actor=None, community=pw.tree.community, level=CareLevel.ORDINARY, every=2, unit="months")
    assert selectors.cadences_of(pw.tree.community.pk)[CareLevel.ORDINARY] == plan.Every(2, "months")
    assert selectors.cadences_of(pw.tree.other_community.pk)[CareLevel.ORDINARY] == plan.Every(3, "months")


def test_week_plan_orders_by_how_overdue(pw: PairingWorld) -> None:
    _pair_all(pw)
    today = timezone.localdate()
    alone, ordinary, aged = pw.households[0], pw.households[1], pw.households[2]
    services.care_set(actor=None, household=alone, level=CareLevel.ALONE, reason="独居")
    services.care_set(actor=None, household=aged, level=CareLevel.AGED_80, reason="85岁")
    Household.objects.filter(pk__in=[h.pk for h in pw.households]).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    for h in pw.households:
        h.refresh_from_db()
    vol = pw.users["volunteer"]
    for h, days in ((alone, 20), (ordinary, 10), (aged, 15)):
        services.visit_record(
            actor=vol,
            household=h,
            visited_on=today - dt.timedelta(days=days),
            method="door",
            condition="good",
            client_key=f"k{h.pk}",
        )
    due, later = selectors.week_plan(pw.central, today=today)
    assert [r.household for r in due[:2]] == [alone, aged]  # 13 days overdue, then 1
    assert ordinary in [r.household for r in later]
    assert due[0].overdue_days == 13
    # Never-visited households are due from their pairing day (today).
    assert {r.household for r in due} >= {pw.households[3], pw.households[4]}


# --- visits ---------------------------------------------------------------------------------------


def test_visit_is_recorded_once_per_form(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    h = pw.households[0]
    client = client_for(pw.users["volunteer"])
    form = {
        "client_key": "abc123",
        "visited_on": timezone.localdate().isoformat(),
        "method": "door",
        "condition": "good",
        "met": "本人",
    }
    first = client.post(f"/pairing/households/{h.pk}/visit/", form)
    again = client.post(f"/pairing/households/{h.pk}/visit/", form)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Visit.objects.filter(household=h).count() == 1
    assert AuditEvent.objects.filter(action="pairing.visit_recorded").count() == 1
    api = client.post(
        f"/api/v1/pairing/households/{h.pk}/visits",
        {**form, "client_key": "abc123"},
        content_type="application/json",
    )
    assert api.status_code == 201
    assert Visit.objects.filter(household=h).count() == 1


def test_a_need_becomes_an_appeal_in_the_same_step(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    h = pw.households[0]
    category = Category.objects.get(code="street-lamp")
    client = client_for(pw.users["volunteer"])
    response = client.post(
        f"/api/v1/pairing/households/{h.pk}/visits",
        {
            "client_key": "k-appeal",
            "visited_on": timezone.localdate().isoformat(),
            "method": "door",
            "condition": "attention",
            "needs": ["repair"],
            "note": "楼道灯坏了",
            "follow_up": "appeal",
            "category_code": category.code,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    visit = Visit.objects.get(client_key="k-appeal")
    appeal = Appeal.objects.get(pk=visit.appeal_id)
    assert appeal.channel == Channel.VISIT
    assert appeal.requester_resident is not None
    assert appeal.requester_resident.household_id == h.pk
    assert f"#{visit.pk}" in appeal.description  # linked both ways
    page = client.get(f"/pairing/visits/{visit.pk}/")
    assert appeal.number in page.content.decode()


def test_bad_visits_are_refused_and_nothing_is_written(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    h = pw.households[0]
    vol = pw.users["volunteer"]
    today = timezone.localdate()
    base = {"actor": vol, "household": h, "method": "door", "condition": "good"}
    with pytest.raises(ValidationError) as future:
        services.visit_record(**base, visited_on=today + dt.timedelta(days=1), client_key="f")
    assert "visited_on" in future.value.message_dict
    with pytest.raises(ValidationError) as before:
        services.visit_record(**base, visited_on=today - dt.timedelta(days=30), client_key="b")
    assert "visited_on" in before.value.message_dict  # the household was registered today
    with pytest.raises(ValidationError):
        services.visit_record(**base, visited_on=today, client_key="a", follow_up="appeal", note="x")
    assert not Visit.objects.exists()
    # Through the page: a clear error in the user's language, no 500.
    client = client_for(vol)
    response = client.post(
        f"/pairing/households/{h.pk}/visit/",
        {
            "client_key": "z",
            "visited_on": (today + dt.timedelta(days=3)).isoformat(),
            "method": "door",
            "condition": "good",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert "未来" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_visit_for_a_household_not_ones_own_is_404(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    other_vol = pw.users["second_volunteer"]  # same area, carries no central household
    client = client_for(other_vol)
    h = pw.households[0]
    assert client.get(f"/pairing/households/{h.pk}/").status_code == 404
    assert (
        client.post(
            f"/pairing/households/{h.pk}/visit/",
            {"client_key": "q", "visited_on": timezone.localdate().isoformat(), "method": "door", "condition": "good"},
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/pairing/households/{h.pk}").status_code == 404
    # Central household B cannot read central household A's household, nor A B's.
    other = client_for(pw.users["other_volunteer"])
    assert other.get(f"/pairing/households/{h.pk}/").status_code == 404
    assert other.get(f"/pairing/households/{pw.other_household.pk}/").status_code == 200
    mine = client_for(pw.users["volunteer"])
    assert mine.get(f"/pairing/households/{pw.other_household.pk}/").status_code == 404
    assert mine.get(f"/pairing/households/{h.pk}/").status_code == 200
    assert not Visit.objects.exists()


def test_central_household_sees_masked_phone_and_reveals_with_a_reason(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    h = pw.households[0]
    resident = Resident.objects.get(household=h)
    client = client_for(pw.users["volunteer"])
    page = client.get(f"/pairing/households/{h.pk}/").content.decode()
    assert resident.mobile not in page
    assert resident.mobile_masked in page
    assert resident.name in page
    bad = client.post(f"/pairing/households/{h.pk}/reveal/", {"resident": resident.pk, "purpose": "", "reason": ""})
    assert bad.status_code == 422
    assert not PiiAccess.objects.exists()
    ok = client.post(
        f"/pairing/households/{h.pk}/reveal/",
        {"resident": resident.pk, "purpose": "home_visit", "reason": "上门前电话确认老人是否在家"},
    )
    assert ok.status_code == 200
    assert resident.mobile in ok.content.decode()
    assert PiiAccess.objects.filter(subject_id=str(resident.pk), actor=pw.users["volunteer"]).count() == 1


# --- pairing rules -----------------------------------------------------------------------------------


def test_bad_pairings_are_refused(pw: PairingWorld, english: None) -> None:
    central = pw.central
    with pytest.raises(ValidationError, match="itself"):
        services.pairing_set(actor=None, household=central.household, central=central)
    with pytest.raises(ValidationError):
        services.pairing_set(actor=None, household=pw.other_household, central=central)
    services.central_update(actor=None, central=central, capacity=1, area=pw.tree.area)
    services.pairing_set(actor=None, household=pw.households[0], central=central)
    with pytest.raises(ValidationError, match="capacity"):
        services.pairing_set(actor=None, household=pw.households[1], central=central)
    with pytest.raises(ValidationError):
        services.care_set(actor=None, household=pw.households[0], level=CareLevel.ALONE, reason="  ")
    assert not Care.objects.exists()
    assert Pairing.objects.filter(central=central).count() == 1


def test_pairing_history_keeps_from_to_who_and_why(pw: PairingWorld) -> None:
    worker = pw.users["community_worker"]
    h = pw.households[0]
    home = add_household(pw.people.building2, "1202", name="孙党员", party=True)
    second = services.central_designate(
        actor=worker, household=home, member=Resident.objects.get(household=home), area=pw.tree.area
    )
    services.pairing_set(actor=worker, household=h, central=pw.central, reason="楼上楼下")
    services.pairing_set(actor=worker, household=h, central=second, reason="换人联系")
    rows = list(Pairing.objects.filter(household=h).order_by("id"))
    assert [(r.central_id, r.ended_at is None) for r in rows] == [(pw.central.pk, False), (second.pk, True)]
    assert rows[0].end_reason == "换人联系"
    assert rows[0].ended_by == worker
    assert rows[1].start_reason == "换人联系"
    assert rows[1].started_by == worker


def test_registry_events_end_pairings(pw: PairingWorld) -> None:
    _pair_all(pw)
    moved, died, archived = pw.households[0], pw.households[1], pw.households[3]
    people.resident_archive(actor=None, resident=Resident.objects.get(household=moved), reason="moved_out")
    people.resident_archive(actor=None, resident=Resident.objects.get(household=died), reason="deceased")
    people.resident_archive(actor=None, resident=Resident.objects.get(household=archived), reason="moved_out")
    people.household_archive(actor=None, household=archived)
    open_ = set(Pairing.objects.filter(ended_at__isnull=True).values_list("household_id", flat=True))
    assert not open_ & {moved.pk, died.pk, archived.pk}
    assert pw.households[2].pk in open_
    ended = Pairing.objects.get(household=died)
    assert ended.end_reason
    assert ended.ended_at is not None
    # Moving out of the central household's area ends it too; moving within it keeps it.
    stay = pw.households[2]
    people.household_move(actor=None, household=stay, unit=pw.people.building2, door="999")
    assert Pairing.objects.filter(household=stay, ended_at__isnull=True).exists()


# --- coverage ------------------------------------------------------------------------------------


def _coverage_queries(pw: PairingWorld, client: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/pairing/coverage/?community={pw.tree.community.pk}")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_coverage_counts_and_a_constant_number_of_queries(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    worker = pw.users["community_worker"]
    client = client_for(worker)
    today = timezone.localdate()
    services.visit_record(
        actor=worker, household=pw.households[0], visited_on=today, method="door", condition="good", client_key="c1"
    )
    cov = selectors.coverage_of(pw.tree.community)
    # 5 paired + the people world's 王小明 (unpaired); the central household itself is not counted.
    assert cov.total.households == 6
    assert cov.total.within == 1
    assert cov.unpaired == 1
    assert {t.label: t.households for t in cov.by_building} == {"1栋": 3, "2栋": 3}
    _coverage_queries(pw, client)  # the first request of a session reads the user's settings once
    small = _coverage_queries(pw, client)
    for n in range(12):
        h = add_household(pw.tree.building, f"5{n:02d}")
        if n < 5:
            services.pairing_set(actor=None, household=h, central=pw.central)
        services.visit_record(
            actor=worker, household=h, visited_on=today, method="phone", condition="good", client_key=f"m{n}"
        )
    assert _coverage_queries(pw, client) == small
    export = client.get(f"/pairing/coverage/export/?community={pw.tree.community.pk}")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="pairing.coverage_exported").count() == 1


def test_no_visit_and_no_activity_in_six_months_is_flagged_into_the_plan(pw: PairingWorld) -> None:
    from anju.pairing import plan as plan_module

    today = dt.date(2026, 6, 30)
    assert plan_module.quiet(last_contact=None, last_attended=None, today=today)
    assert plan_module.quiet(last_contact=dt.date(2025, 12, 1), last_attended=dt.date(2025, 11, 1), today=today)
    assert not plan_module.quiet(last_contact=dt.date(2025, 12, 1), last_attended=dt.date(2026, 5, 1), today=today)
    assert not plan_module.quiet(last_contact=dt.date(2026, 5, 1), last_attended=None, today=today)
    _pair_all(pw)
    Household.objects.filter(pk__in=[h.pk for h in pw.households]).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    h = Household.objects.get(pk=pw.households[0].pk)
    services.cadence_set(actor=None, community=pw.tree.community, level=CareLevel.ORDINARY, every=12, unit="months")
    services.visit_record(
        actor=pw.users["volunteer"],
        household=h,
        visited_on=timezone.localdate() - dt.timedelta(days=200),
        method="door",
        condition="good",
        client_key="q1",
    )
    due, _later = selectors.week_plan(pw.central)
    row = next(r for r in due if r.household.pk == h.pk)  # not due by its yearly cadence, but quiet
    assert row.quiet
    assert row.overdue_days < 0
    assert [r.household.pk for r in selectors.coverage_of(pw.tree.community).quiet] == [h.pk]


def test_a_supervisor_never_sees_doors_and_care_levels_of_pairing(
    pw: PairingWorld, client_for: Any, user_factory: Any
) -> None:
    """The pages of central households and coverage list households by door with their care level (sensitive); a
    supervisor's view of residents is the limited one, so these pages and their export are refused."""
    from anju.access.roles import Role

    supervisor = user_factory(Role.SUPERVISOR, pw.tree.street)
    client = client_for(supervisor)
    for url in ("/pairing/central/", "/pairing/coverage/", "/pairing/coverage/export/", "/api/v1/pairing/centrals"):
        assert client.get(url).status_code == 403, url


def test_a_carrier_moved_to_another_community_no_longer_sees_the_old_plan(pw: PairingWorld, client_for: Any) -> None:
    from anju.access.roles import Role
    from anju.accounts import services as accounts
    from anju.accounts.models import RoleGrant, User

    _pair_all(pw)
    vol = pw.users["volunteer"]
    assert selectors.central_of(vol) == pw.central
    before = client_for(vol).get("/pairing/").content.decode()
    assert str(pw.households[0].address) in before
    for grant in RoleGrant.objects.filter(user=vol):
        accounts.role_revoke(actor=None, grant=grant)
    accounts.role_grant(actor=None, user=vol, role=Role.VOLUNTEER, unit=pw.tree.other_community)
    moved = User.objects.get(pk=vol.pk)  # nothing remembered from before the move
    assert selectors.central_of(moved) is None
    assert not selectors.households_for(moved).exists()
    client = client_for(moved)
    assert str(pw.households[0].address) not in client.get("/pairing/").content.decode()
    assert client.get(f"/pairing/households/{pw.households[0].pk}/").status_code == 404


def test_a_visits_linked_appeal_shows_only_to_who_may_read_the_appeal(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    h = pw.households[0]
    first = pw.users["volunteer"]
    visit = services.visit_record(
        actor=first,
        household=h,
        visited_on=timezone.localdate(),
        method="door",
        condition="attention",
        needs=["repair"],
        note="楼道灯坏了",
        follow_up="appeal",
        category=Category.objects.get(code="street-lamp"),
        client_key="k-linked",
    )
    appeal = Appeal.objects.get(pk=visit.appeal_id)
    assert appeal.number in client_for(first).get(f"/pairing/visits/{visit.pk}/").content.decode()
    # The household moves to another central household: its new carrier reads the visit, not the appeal.
    second = pw.users["second_volunteer"]
    other_home = add_household(pw.tree.building, "909", name="孙党员", party=True)
    central = services.central_designate(
        actor=None,
        household=other_home,
        member=Resident.objects.get(household=other_home),
        area=pw.tree.area,
        carrier=second,
    )
    services.pairing_set(actor=None, household=h, central=central, reason="调整")
    page = client_for(second).get(f"/pairing/visits/{visit.pk}/")
    assert page.status_code == 200
    assert appeal.number not in page.content.decode()
    assert client_for(second).get(f"/appeals/{appeal.pk}/").status_code == 404


def test_the_central_households_api_is_paged(pw: PairingWorld, client_for: Any) -> None:
    _pair_all(pw)
    client = client_for(pw.users["community_worker"])
    body = client.get("/api/v1/pairing/centrals", {"limit": 1}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (1, True, 1)
    assert body["results"][0]["id"] == pw.central.pk
    assert body["results"][0]["serving"] == len(pw.households)
    assert body["next_cursor"] is None
