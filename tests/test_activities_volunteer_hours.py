"""Hours of volunteers who helped at an activity (``anju.activities.volunteer_hours``): out-of-range hours are a
clear error (never a 500), and one volunteer's entry for a session, or the whole activity, is recorded once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from anju.activities import volunteer_hours
from anju.activities.models import Helper
from anju.audit.models import AuditEvent
from anju.testing import api_client
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# --- bounded hours -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", ["1e30", "1E+400", 1e30, "-1e30", "NaN", "Infinity", "0.04", "24.1"])
def test_helper_hours_out_of_range_are_a_clear_error(activity_world: ActivityWorld, hours: Any) -> None:
    activity = make_activity(activity_world, target_tags=[])
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(
            actor=activity_world.users["worker"],
            activity=activity,
            session=first_session(activity),
            user=activity_world.users["volunteer"],
            hours=hours,
        )
    assert "hours" in caught.value.message_dict
    assert not Helper.objects.exists()


def test_whole_activity_hours_stay_within_what_a_row_holds(activity_world: ActivityWorld) -> None:
    activity = make_activity(activity_world, target_tags=[], weeks=45, space=None)  # 45 × 24 h > 999 h
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(
            actor=activity_world.users["worker"], activity=activity, user=activity_world.users["volunteer"], hours=1000
        )
    assert "At most 999 hours" in str(caught.value)
    made = volunteer_hours.helper_record(
        actor=activity_world.users["worker"], activity=activity, user=activity_world.users["volunteer"], hours=999
    )
    assert made.hours == Decimal("999.0")


@pytest.mark.parametrize("hours", ["1e30", 1e30, "-3", 0, "NaN"])
def test_api_refuses_huge_hours_with_422(activity_world: ActivityWorld, hours: Any) -> None:
    activity = make_activity(activity_world, target_tags=[])
    response = api_client(activity_world.users["worker"]).post(
        f"/api/v1/activities/{activity.pk}/helpers",
        json.dumps({"user_id": activity_world.users["volunteer"].pk, "hours": hours}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert not Helper.objects.exists()


# --- one entry per person and session, by the database -------------------------------------------------------


@pytest.mark.parametrize("whole", [False, True])
@pytest.mark.parametrize("who", ["user", "resident"])
def test_database_refuses_a_second_entry(activity_world: ActivityWorld, who: str, whole: bool) -> None:
    activity = make_activity(activity_world, target_tags=[], weeks=2)
    session = None if whole else first_session(activity)
    person = {"user": activity_world.users["volunteer"]} if who == "user" else {"resident": activity_world.elder}
    fields = {"community": activity_world.tree.community, "activity": activity, "session": session, "name": "x"}
    Helper.objects.create(**fields, **person, hours=1, recorded_by=activity_world.users["worker"])
    # Another session, or another person, is fine.
    other = {"user": activity_world.users["worker"]} if who == "user" else {"resident": activity_world.spouse}
    Helper.objects.create(**fields, **other, hours=1, recorded_by=activity_world.users["worker"])
    if whole:
        Helper.objects.create(
            **(fields | {"session": first_session(activity)}),
            **person,
            hours=1,
            recorded_by=activity_world.users["worker"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Helper.objects.create(**fields, **person, hours=2, recorded_by=activity_world.users["worker"])


@pytest.mark.parametrize("whole", [False, True])
def test_a_second_entry_recorded_at_the_same_moment_is_a_clear_error(
    activity_world: ActivityWorld, monkeypatch: Any, whole: bool
) -> None:
    activity = make_activity(activity_world, target_tags=[])
    session = None if whole else first_session(activity)
    kwargs = {
        "actor": activity_world.users["worker"],
        "activity": activity,
        "session": session,
        "user": activity_world.users["volunteer"],
    }
    volunteer_hours.helper_record(**kwargs, hours="2")
    audits = AuditEvent.objects.count()
    # The other request's check ran before this one's insert: the check sees nothing, the database decides.
    real_exists = QuerySet.exists
    raced: list[bool] = []

    def exists_after_race(self: QuerySet[Any]) -> bool:
        if self.model is Helper and not raced:
            raced.append(True)
            return False
        return real_exists(self)

    monkeypatch.setattr(QuerySet, "exists", exists_after_race)
    with pytest.raises(ValidationError) as caught:
        volunteer_hours.helper_record(**kwargs, hours="3")
    assert "already recorded here" in str(caught.value)
    assert raced
    assert Helper.objects.filter(activity=activity).count() == 1
    assert AuditEvent.objects.count() == audits
