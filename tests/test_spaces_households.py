"""Station spaces: limits count per household of the resident registry, per account when the registry
does not know the booker."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.audit.models import AuditEvent
from anju.orgs.models import UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Household
from anju.spaces import services
from anju.spaces.models import Booking
from anju.testing import Tree, english_client, make_user, unit
from anju.testing.spaces import Demo, days_ahead, local, make_station

pytestmark = pytest.mark.usefixtures("english")


@dataclass
class Families:
    demo: Demo
    home: Household  # 1-101: 张桂兰 and 李建国, both with accounts
    next_door: Household  # 1-102: 王小明, with an account
    grandma: Household  # 1-103: 赵奶奶, no account
    her: Any
    him: Any
    young: Any
    stranger: Any  # a resident account the registry does not know
    staff: Any


def _person(household: Household, name: str, relation: str, seq: int, tree: Tree) -> Any:
    people_services.resident_create(
        actor=None,
        household=household,
        name=name,
        relation=relation,
        id_number=fakes.id_number(date(1960, 3, 1), seq, male=seq % 2 == 0),
        mobile=fakes.mobile(900 + seq),
    )
    return make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(900 + seq), display_name=name)


@pytest.fixture
def fam(tree: Tree) -> Families:
    demo = make_station(tree.community)
    home = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="101")
    next_door = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="102")
    grandma = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="103")
    people_services.resident_create(
        actor=None,
        household=grandma,
        name="赵奶奶",
        relation="head",
        id_number=fakes.id_number(date(1940, 1, 1), 31, male=False),
    )
    return Families(
        demo=demo,
        home=home,
        next_door=next_door,
        grandma=grandma,
        her=_person(home, "张桂兰", "head", 21, tree),
        him=_person(home, "李建国", "spouse", 22, tree),
        young=_person(next_door, "王小明", "head", 23, tree),
        stranger=make_user(Role.RESIDENT, tree.building, username="stranger"),
        staff=make_user(Role.COMMUNITY_WORKER, tree.community, username="liufang"),
    )


def book(actor: Any, space: Any, day: date, start: int, end: int, **kw: Any) -> services.BookingResult:
    return services.booking_create(
        actor=actor, space=space, starts_at=local(day, start), ends_at=local(day, end), title="测试", **kw
    )


def test_a_booking_counts_against_the_bookers_household(fam: Families) -> None:
    made = book(fam.her, fam.demo.kitchen, days_ahead(3), 10, 11).bookings[0]
    assert made.household_id == fam.home.pk
    event = AuditEvent.objects.get(action="booking.created", object_id=str(made.pk))
    assert event.data["household_id"] == fam.home.pk


def test_two_members_of_one_household_share_the_weekly_limit(fam: Families) -> None:
    services.space_set_rules(actor=None, space=fam.demo.kitchen, weekly_limit=1)
    day = days_ahead(14)
    book(fam.her, fam.demo.kitchen, day, 10, 11)
    with pytest.raises(ValidationError, match="1 times a week per household"):
        book(fam.him, fam.demo.kitchen, day, 12, 13)
    assert Booking.objects.count() == 1
    # Another household has its own allowance, and the next week is a new one.
    assert book(fam.young, fam.demo.kitchen, day, 12, 13).bookings[0].household_id == fam.next_door.pk
    assert book(fam.him, fam.demo.kitchen, day + timedelta(days=7), 12, 13).bookings
    # Cancelling frees the allowance for the other member.
    first = Booking.objects.get(household=fam.home, starts_at=local(day, 10))
    services.booking_cancel(actor=fam.her, booking=first)
    assert book(fam.him, fam.demo.kitchen, day, 14, 15).bookings[0].booker == fam.him


def test_an_account_the_registry_does_not_know_is_limited_per_account(fam: Families, tree: Tree) -> None:
    """Documented fallback: without a household, a booking counts against its booker's account."""
    services.space_set_rules(actor=None, space=fam.demo.kitchen, weekly_limit=1)
    day = days_ahead(14)
    mine = book(fam.stranger, fam.demo.kitchen, day, 10, 11).bookings[0]
    assert mine.household is None
    with pytest.raises(ValidationError, match="1 times a week"):
        book(fam.stranger, fam.demo.kitchen, day, 12, 13)
    # Another unknown account, and a registered household, are counted apart.
    other = make_user(Role.RESIDENT, tree.building, username="stranger2")
    assert book(other, fam.demo.kitchen, day, 12, 13).bookings
    assert book(fam.her, fam.demo.kitchen, day, 14, 15).bookings


def test_no_shows_are_counted_per_household(fam: Families, monkeypatch: Any) -> None:
    services.space_set_rules(actor=None, space=fam.demo.kitchen, no_show_limit=2)
    missed = [book(fam.her, fam.demo.kitchen, days_ahead(n), 10, 11).bookings[0] for n in (2, 3)]
    later = local(days_ahead(3), 12)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert services.bookings_release_no_shows() == 2
    assert {b.status for b in Booking.objects.filter(pk__in=[m.pk for m in missed])} == {Booking.Status.RELEASED}
    # Her husband never missed a booking, but the household did.
    with pytest.raises(ValidationError, match="nobody checked in"):
        book(fam.him, fam.demo.kitchen, days_ahead(5), 10, 11)
    assert book(fam.young, fam.demo.kitchen, days_ahead(5), 10, 11).bookings


def test_a_resident_cannot_book_for_someone_elses_household(fam: Families) -> None:
    audits = AuditEvent.objects.count()
    for household in (fam.next_door, fam.grandma):
        with pytest.raises(ValidationError) as err:
            book(fam.her, fam.demo.kitchen, days_ahead(3), 10, 11, household=household)
        assert "your own household" in err.value.message_dict["household"][0]
    with pytest.raises(ValidationError) as err:
        book(fam.stranger, fam.demo.kitchen, days_ahead(3), 10, 11, household=fam.home)
    assert "your own household" in err.value.message_dict["household"][0]
    assert not Booking.objects.exists()
    assert AuditEvent.objects.count() == audits
    # Naming one's own household is fine.
    assert book(fam.her, fam.demo.kitchen, days_ahead(3), 10, 11, household=fam.home).bookings[0].household == fam.home


def test_staff_book_for_a_resident_or_a_household(fam: Families, tree: Tree) -> None:
    day = days_ahead(4)
    for_her = book(fam.staff, fam.demo.kitchen, day, 8, 9, on_behalf_of=fam.him).bookings[0]
    assert (for_her.booker, for_her.created_by, for_her.household) == (fam.him, fam.staff, fam.home)
    # A household without any account: staff hold the booking, the household's limit is used.
    for_grandma = book(fam.staff, fam.demo.kitchen, day, 9, 10, household=fam.grandma).bookings[0]
    assert (for_grandma.booker, for_grandma.household) == (fam.staff, fam.grandma)
    # The station's own use counts against nobody's household.
    assert book(fam.staff, fam.demo.kitchen, day, 10, 11).bookings[0].household is None
    # A known resident's booking cannot be counted against another household.
    with pytest.raises(ValidationError, match="belongs to another household"):
        book(fam.staff, fam.demo.kitchen, day, 11, 12, on_behalf_of=fam.him, household=fam.next_door)
    # Nor against a household of another community or an archived one.
    tower = unit(UnitKind.BUILDING, "宝塔9栋", tree.other_grid)
    elsewhere = people_services.household_create(actor=None, unit=tower, entrance="", door="9")
    with pytest.raises(ValidationError, match="Choose an active household"):
        book(fam.staff, fam.demo.kitchen, day, 11, 12, household=elsewhere)
    assert Booking.objects.count() == 3


def test_staff_count_the_household_whose_limit_a_staff_booking_uses(fam: Families) -> None:
    """A booking staff make for a household fills that household's week for its members."""
    services.space_set_rules(actor=None, space=fam.demo.kitchen, weekly_limit=1)
    day = days_ahead(14)
    book(fam.staff, fam.demo.kitchen, day, 10, 11, household=fam.home)
    with pytest.raises(ValidationError, match="1 times a week"):
        book(fam.her, fam.demo.kitchen, day, 12, 13)


def test_staff_booking_page_offers_the_communitys_households(fam: Families) -> None:
    space_url = reverse("spaces:space", args=[fam.demo.kitchen.pk])
    page = english_client(fam.staff).get(space_url)
    assert page.status_code == 200
    assert 'name="household"' in page.content.decode()
    assert 'name="household"' not in english_client(fam.her).get(space_url).content.decode()
    day = days_ahead(5)
    form = {"date": day.isoformat(), "starts": "10:00", "ends": "11:00", "title": "包饺子"}
    response = english_client(fam.staff).post(
        reverse("spaces:book", args=[fam.demo.kitchen.pk]), {**form, "household": fam.grandma.pk}
    )
    assert response.status_code == 302
    assert Booking.objects.get().household == fam.grandma
    # A resident posting a household field is ignored by the form: the booking is counted as theirs.
    english_client(fam.her).post(
        reverse("spaces:book", args=[fam.demo.kitchen.pk]),
        {**form, "starts": "12:00", "ends": "13:00", "household": fam.next_door.pk},
    )
    assert Booking.objects.get(booker=fam.her).household == fam.home


def test_the_migration_backfills_existing_bookings_with_the_bookers_household(fam: Families) -> None:
    """Migration 0004 replaced the unused free-text household key; existing bookings got their booker's
    household from the registry (accounts it does not know stay per account)."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("anju.spaces.migrations.0004_booking_household_space_photos")
    ours = book(fam.her, fam.demo.kitchen, days_ahead(3), 10, 11).bookings[0]
    theirs = book(fam.stranger, fam.demo.kitchen, days_ahead(3), 12, 13).bookings[0]
    Booking.objects.update(household=None)
    executed: list[str] = []

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            executed.append(sql)
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.backfill_households(apps, Editor())
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.household == fam.home
    assert theirs.household is None


def test_the_api_answers_alike_for_a_missing_household_and_one_out_of_reach(
    fam: Families, tree: Tree, client_for: Any
) -> None:
    """Naming a household that does not exist and one of another community give the same answer, so the
    API tells nobody which household ids exist elsewhere."""
    far_building = unit(UnitKind.BUILDING, "宝塔1栋", tree.other_community)
    elsewhere = people_services.household_create(actor=None, unit=far_building, entrance="1", door="201")
    missing = Household.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    day = days_ahead(3)
    answers = {}
    for who, client in (("resident", client_for(fam.her)), ("staff", client_for(fam.staff))):
        client.cookies["anju_language"] = "en"
        for label, household_id in (("missing", missing), ("elsewhere", elsewhere.pk)):
            response = client.post(
                "/api/v1/bookings",
                {
                    "space_id": fam.demo.kitchen.pk,
                    "starts_at": local(day, 10).isoformat(),
                    "ends_at": local(day, 11).isoformat(),
                    "title": "测试",
                    "household_id": household_id,
                },
                content_type="application/json",
            )
            assert response.status_code == 422, (who, label, response.content)
            answers[who, label] = response.json()
        assert answers[who, "missing"] == answers[who, "elsewhere"]
    assert not Booking.objects.exists()
