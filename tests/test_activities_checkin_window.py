"""The check-in window: the door of a session opens 30 minutes before it starts and shuts when it ends
(check-out two hours later), station-wide settings can move it, and every path obeys the one rule — the
signed QR and the short code, ticking the list, walk-ins, check-out, and the door page. Times are passed to
the services (``now=``) or the session starts in ten minutes; nothing sleeps."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from anju.activities import services
from anju.activities.models import Registration, Session
from anju.audit.models import AuditEvent
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _minute(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _far_session(activity_world: ActivityWorld, **fields: Any) -> tuple[Session, Registration]:
    """A session eight days ahead with one confirmed registration (the issue: filled in from the office)."""
    session = first_session(make_activity(activity_world, days=8, target_tags=[], **fields))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    return session, reg


def test_every_path_is_refused_eight_days_early_and_nothing_changes(activity_world: ActivityWorld) -> None:
    session, reg = _far_session(activity_world)
    door = activity_world.users["volunteer"]
    audits = AuditEvent.objects.count()
    opens = f"Check-in opens at {_minute(session.starts_at - timedelta(minutes=30))}, 30 minutes before the start."
    for call in (
        lambda: services.checkin_scan(actor=door, session=session, code=services.checkin_token(reg)),
        lambda: services.checkin_scan(actor=door, session=session, code=reg.short_code),
        lambda: services.checkin_tick(actor=door, registration=reg),
        lambda: services.walk_in_add(actor=door, session=session, name="路人甲"),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert opens in str(caught.value)
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    assert not Registration.objects.filter(status=Registration.Status.WALK_IN).exists()
    assert AuditEvent.objects.count() == audits


def test_the_window_opens_thirty_minutes_before_and_shuts_at_the_end(activity_world: ActivityWorld) -> None:
    session, reg = _far_session(activity_world, guardian_checkout=True)
    door = activity_world.users["volunteer"]
    just_before = session.starts_at - timedelta(minutes=31)
    with pytest.raises(ValidationError, match="Check-in opens at"):
        services.checkin_tick(actor=door, registration=reg, now=just_before)
    opened = session.starts_at - timedelta(minutes=30)
    assert not services.checkin_tick(actor=door, registration=reg, now=opened).already
    after_end = session.ends_at + timedelta(minutes=1)
    closed = f"Check-in closed at {_minute(session.ends_at)}: the session is over."
    with pytest.raises(ValidationError, match=re.escape(closed)):
        services.walk_in_add(actor=door, session=session, name="迟到的人", now=after_end)
    assert services.walk_in_add(actor=door, session=session, name="准时的人", now=session.ends_at).checked_in_at
    # Check-out stays open two hours after the end (a guardian collects the child), not longer.
    with pytest.raises(ValidationError, match="Check-out closed at"):
        services.checkout(actor=door, registration=reg, guardian="张爸爸", now=session.ends_at + timedelta(minutes=121))
    reg.refresh_from_db()
    assert reg.checked_out_at is None
    out = services.checkout(
        actor=door, registration=reg, guardian="张爸爸", now=session.ends_at + timedelta(minutes=120)
    )
    assert out.checked_out_at == session.ends_at + timedelta(minutes=120)


def test_station_settings_move_the_window(activity_world: ActivityWorld, settings: Any) -> None:
    settings.ANJU_ACTIVITY_CHECKIN_OPENS_BEFORE_MINUTES = 60
    settings.ANJU_ACTIVITY_CHECKIN_CLOSES_AFTER_MINUTES = 15
    session, reg = _far_session(activity_world)
    window = services.checkin_window(session)
    assert window.opens == session.starts_at - timedelta(minutes=60)
    assert window.closes == session.ends_at + timedelta(minutes=15)
    door = activity_world.users["volunteer"]
    with pytest.raises(ValidationError, match="60 minutes before the start"):
        services.checkin_tick(actor=door, registration=reg, now=session.starts_at - timedelta(minutes=61))
    late = session.ends_at + timedelta(minutes=15)
    assert not services.checkin_scan(actor=door, session=session, code=reg.short_code, now=late).already


def test_a_cancelled_session_shuts_its_door(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, soon=True, target_tags=[]))
    services.session_cancel(actor=activity_world.users["worker"], session=session, reason="下雨")
    session.refresh_from_db()
    with pytest.raises(ValidationError, match="This session has been cancelled"):
        services.walk_in_add(actor=activity_world.users["volunteer"], session=session, name="路人甲")


def test_the_door_page_refuses_early_check_in_walk_ins_and_ticks(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    session, reg = _far_session(activity_world)
    door = client_for(activity_world.users["volunteer"])
    door.cookies["anju_language"] = "en"
    opens = _minute(session.starts_at - timedelta(minutes=30))
    scanned = door.post(f"/activities/sessions/{session.pk}/door/", {"code": reg.short_code})
    assert scanned.status_code == 422
    assert f"Check-in opens at {opens}" in scanned.content.decode()
    walked = door.post(f"/activities/sessions/{session.pk}/walk-in/", {"name": "路人甲"}, follow=True)
    assert f"Check-in opens at {opens}" in walked.content.decode()
    ticked = door.post(f"/activities/registrations/{reg.pk}/tick/", follow=True)
    assert f"Check-in opens at {opens}" in ticked.content.decode()
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    assert not Registration.objects.filter(status=Registration.Status.WALK_IN).exists()
    # In Chinese too.
    door.cookies["anju_language"] = "zh-hans"
    zh = door.post(f"/activities/sessions/{session.pk}/door/", {"code": reg.short_code}).content.decode()
    assert f"{opens} 开放签到" in zh


def test_the_door_page_checks_in_within_the_window(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    session = first_session(make_activity(activity_world, soon=True, target_tags=[]))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    door = client_for(activity_world.users["volunteer"])
    door.cookies["anju_language"] = "en"
    done = door.post(f"/activities/sessions/{session.pk}/door/", {"code": reg.short_code})
    assert done.status_code == 200
    assert "张桂兰 is checked in." in done.content.decode()
    walked = door.post(f"/activities/sessions/{session.pk}/walk-in/", {"name": "路人甲"}, follow=True)
    assert "Walk-in 路人甲 is added and checked in." in walked.content.decode()
