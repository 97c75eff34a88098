"""Activities UI polish: the roster's checked-in column, no cancelling on sessions that are over, dates that
show their year only when it is not this year, and the list without a list indent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from anju.activities import services
from anju.activities.models import Registration, Session
from anju.activities.testing import World, first_session, make_activity, make_world
from anju.audit.models import AuditEvent
from anju.core.text import near_date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def _client(user: Any) -> Client:
    client = Client()
    client.cookies["anju_language"] = "en"
    client.force_login(user)
    return client


def _end(session: Session) -> None:
    now = timezone.now()
    Session.objects.filter(pk=session.pk).update(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))


def test_roster_shows_who_checked_in_and_when(world: World) -> None:
    session = first_session(make_activity(world, soon=True))
    reg = services.registration_create(actor=world.users["resident"], session=session)
    services.registration_create(actor=world.users["worker"], session=session, resident=world.spouse)
    volunteer = world.users["volunteer"]
    volunteer.display_name = "陈志愿"
    volunteer.save(update_fields=["display_name"])
    services.checkin_scan(actor=volunteer, session=session, code=reg.short_code)
    reg.refresh_from_db()
    page = _client(world.users["worker"]).get(f"/activities/sessions/{session.pk}/roster/").content.decode()
    assert "<th>Checked in</th>" in page
    cells = page.split('<td class="checked-in nowrap">')[1:]
    assert len(cells) == 2
    checked = next(c for c in cells if "陈志愿" in c)
    assert timezone.localtime(reg.checked_in_at).strftime("%H:%M") in checked
    assert "by 陈志愿" in checked
    assert any(c.startswith("—") for c in cells)  # the other one has not come
    assert page.count('class="btn btn-danger btn-small"') == 2  # the session is still to come: cancel offered


def test_a_session_that_is_over_offers_no_cancel_and_the_service_refuses(world: World) -> None:
    session = first_session(make_activity(world))
    reg = services.registration_create(actor=world.users["resident"], session=session)
    _end(session)
    worker = _client(world.users["worker"])
    page = worker.get(f"/activities/sessions/{session.pk}/roster/").content.decode()
    assert f"/activities/registrations/{reg.pk}/cancel/" not in page
    assert "can no longer be cancelled" in page
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="session is over"):
        services.registration_cancel(actor=world.users["worker"], registration=reg, reason="太晚了")
    with pytest.raises(ValidationError, match="session is over"):
        services.registration_cancel(actor=world.users["resident"], registration=reg)
    reg.refresh_from_db()
    assert reg.status == Registration.Status.CONFIRMED
    assert AuditEvent.objects.count() == before
    # The page's POST is refused the same way, with the message and no 500.
    response = worker.post(f"/activities/registrations/{reg.pk}/cancel/", {"reason": "太晚了"}, follow=True)
    assert response.status_code == 200
    assert "can no longer be cancelled" in response.content.decode()
    reg.refresh_from_db()
    assert reg.status == Registration.Status.CONFIRMED


def test_near_date_shows_the_year_only_outside_the_current_year() -> None:
    today = date(2026, 11, 27)
    assert near_date(date(2026, 7, 5), today=today) == "07-05"
    assert near_date(date(2027, 7, 5), today=today) == "2027-07-05"
    zone = timezone.get_current_timezone()
    assert near_date(datetime(2027, 7, 5, 9, 30, tzinfo=zone), "H:i", today=today) == "2027-07-05 09:30"
    # Local time decides: 2026-12-31 20:00 UTC is already 2027 in Shanghai.
    assert near_date(datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "H:i", today=today) == "2027-01-01 04:00"
    assert near_date(None) == ""


def test_activity_list_shows_the_year_of_next_years_sessions(world: World) -> None:
    activity = make_activity(world, days=400)
    session = first_session(activity)
    page = _client(world.users["resident"]).get("/activities/").content.decode()
    assert 'class="stack activity-list"' in page  # unindented list (app.css)
    assert timezone.localtime(session.starts_at).strftime("%Y-%m-%d") in page
