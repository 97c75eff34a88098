"""Two members of one household booking at the same moment are counted one after the other: with a weekly
limit of one, exactly one of them gets the booking, round after round, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from anju.access.roles import Role
from anju.people import fakes
from anju.people import services as people_services
from anju.spaces import services
from anju.spaces.models import Booking
from anju.testing import build_tree, make_user, sqlite_file_database, thread_connection
from anju.testing.spaces import days_ahead, local, make_station

ROUNDS = 8


@pytest.mark.django_db(transaction=True)
def test_a_household_at_its_weekly_limit_gets_one_booking_when_two_members_book_at_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "race.sqlite3"), translation.override("en"):
        tree = build_tree()
        kitchen = make_station(tree.community).kitchen
        services.space_set_rules(actor=None, space=kitchen, weekly_limit=1)
        home = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="101")
        members = []
        for seq, (name, relation) in enumerate((("张桂兰", "head"), ("李建国", "spouse")), start=41):
            people_services.resident_create(
                actor=None,
                household=home,
                name=name,
                relation=relation,
                id_number=fakes.id_number(date(1960, 3, 1), seq, male=seq % 2 == 0),
                mobile=fakes.mobile(950 + seq),
            )
            members.append(make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(950 + seq)))

        outcomes: list[list[str]] = [[] for _ in range(ROUNDS)]
        start_line = threading.Barrier(len(members))
        lock = threading.Lock()

        def attempt(member: Any, hour: int) -> None:
            with thread_connection(), translation.override("en"):
                for n in range(ROUNDS):
                    day = days_ahead(7) + timedelta(weeks=n)  # a new week each round, within 60 days
                    start_line.wait(timeout=60)
                    try:
                        services.booking_create(
                            actor=member,
                            space=kitchen,
                            starts_at=local(day, hour),
                            ends_at=local(day, hour + 1),
                            title="包饺子",
                        )
                        outcome = "booked"
                    except ValidationError as exc:
                        outcome = "limit" if "a week per household" in str(exc) else f"other: {exc}"
                    with lock:
                        outcomes[n].append(outcome)

        # Different hours, so the no-overlap rule never decides: only the household limit can.
        threads = [threading.Thread(target=attempt, args=(m, h)) for m, h in zip(members, (10, 14), strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        for n, round_outcomes in enumerate(outcomes):
            assert sorted(round_outcomes) == ["booked", "limit"], (n, round_outcomes)
        assert Booking.objects.filter(household=home).count() == ROUNDS
