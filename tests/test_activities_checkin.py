"""Check-in and check-out: signed QR codes and short codes, idempotent scans (repeated and concurrent),
codes of other sessions and forged codes refused, walk-ins, guardian check-out, attendance per session."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from anju.activities import services
from anju.activities.models import Activity, Registration
from anju.audit.models import AuditEvent
from anju.testing import sqlite_file_database
from anju.testing.activities import ActivityWorld, first_session, make_activity, make_activity_world

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.django_db
def test_scan_twice_records_one_check_in(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, soon=True))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    token = services.checkin_token(reg)
    first = services.checkin_scan(actor=activity_world.users["volunteer"], session=session, code=token)
    second = services.checkin_scan(
        actor=activity_world.users["volunteer"], session=session, code=reg.short_code.lower()
    )
    assert not first.already
    assert second.already
    assert AuditEvent.objects.filter(action="activity.checked_in").count() == 1
    assert services.attendance(session).checked_in == 1


@pytest.mark.django_db
def test_other_session_forged_and_unconfirmed_codes_are_refused(activity_world: ActivityWorld) -> None:
    series = make_activity(activity_world, weeks=2, soon=True)
    one, two = list(series.sessions.order_by("starts_at"))
    reg = services.registration_create(actor=activity_world.users["resident"], session=one)
    with pytest.raises(ValidationError, match="another session"):
        services.checkin_scan(actor=activity_world.users["volunteer"], session=two, code=services.checkin_token(reg))
    token = services.checkin_token(reg)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(ValidationError, match="could not find this check-in code"):
        services.checkin_scan(actor=activity_world.users["volunteer"], session=one, code=forged)
    with pytest.raises(ValidationError, match="could not find this check-in code"):
        services.checkin_scan(actor=activity_world.users["volunteer"], session=one, code="ZZZZZZZZ")
    services.registration_cancel(actor=activity_world.users["resident"], registration=reg)
    with pytest.raises(ValidationError, match="no confirmed place"):
        services.checkin_scan(actor=activity_world.users["volunteer"], session=one, code=reg.short_code)
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


@pytest.mark.django_db
def test_series_attendance_per_session_walk_in_and_guardian_checkout(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    care = make_activity(
        activity_world, weeks=2, target_tags=[], guardian_checkout=True, title="暑期公益托管班", soon=True
    )
    one, two = list(care.sessions.order_by("starts_at"))
    kid = services.registration_create(actor=activity_world.users["resident"], session=one)
    services.registration_create(actor=activity_world.users["resident"], session=two)
    services.checkin_tick(actor=activity_world.users["volunteer"], registration=kid)
    walk = services.walk_in_add(actor=activity_world.users["volunteer"], session=one, name="刘小红")
    assert walk.checked_in_at is not None
    with pytest.raises(ValidationError, match="guardian"):
        services.checkout(actor=activity_world.users["volunteer"], registration=kid)
    services.checkout(actor=activity_world.users["volunteer"], registration=kid, guardian="张爷爷")
    kid.refresh_from_db()
    assert kid.guardian == "张爷爷"
    assert kid.checked_out_by == activity_world.users["volunteer"]
    first, second = services.attendance(one), services.attendance(two)
    assert (first.registered, first.checked_in, first.walk_ins, first.checked_out) == (1, 2, 1, 1)
    assert (second.registered, second.checked_in) == (1, 0)
    client = client_for(activity_world.users["worker"])
    page = client.get(f"/activities/{care.pk}/attendance/")
    assert page.status_code == 200
    export = client.get(f"/activities/{care.pk}/attendance/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert {r[1] for r in rows[1:]} == {"张桂兰", "刘小红"}
    assert "张爷爷" in [r[5] for r in rows[1:]]
    assert client_for(activity_world.users["resident"]).get(f"/activities/{care.pk}/attendance/").status_code == 403


@pytest.mark.django_db
def test_door_page_scans_and_resident_pass_shows_codes(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    session = first_session(make_activity(activity_world, soon=True))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    page = (
        client_for(activity_world.users["resident"]).get(f"/activities/registrations/{reg.pk}/pass/").content.decode()
    )
    assert reg.short_code in page
    assert "<svg" in page
    assert client_for(activity_world.users["young"]).get(f"/activities/registrations/{reg.pk}/pass/").status_code == 404
    door = client_for(activity_world.users["volunteer"])
    door.cookies["anju_language"] = "en"
    done = door.post(f"/activities/sessions/{session.pk}/door/", {"code": reg.short_code})
    assert "张桂兰 is checked in." in done.content.decode()
    again = door.post(f"/activities/sessions/{session.pk}/door/", {"code": services.checkin_token(reg)})
    assert "张桂兰 is already checked in." in again.content.decode()
    bad = door.post(f"/activities/sessions/{session.pk}/door/", {"code": "nonsense:code"})
    assert bad.status_code == 422
    assert Registration.objects.get(pk=reg.pk).checked_in_by == activity_world.users["volunteer"]


@pytest.mark.xdist_group("connections")  # a race of tens of connections (make test: --dist loadgroup)
@pytest.mark.django_db(transaction=True)
def test_two_phones_scan_the_same_code_at_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "scan.sqlite3"), translation.override("en"):
        activity_world = make_activity_world()
        session = first_session(
            make_activity(activity_world, target_tags=[], category=Activity.Category.HEALTH, soon=True)
        )
        reg = services.registration_create(actor=activity_world.users["resident"], session=session)
        token = services.checkin_token(reg)
        phones = 8
        line = threading.Barrier(phones)
        answers: list[bool] = []
        lock = threading.Lock()

        def scan() -> None:
            try:
                line.wait(timeout=30)
                result = services.checkin_scan(actor=activity_world.users["volunteer"], session=session, code=token)
                with lock:
                    answers.append(result.already)
            finally:
                connection.close()

        threads = [threading.Thread(target=scan) for _ in range(phones)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [False] + [True] * (phones - 1)
        assert AuditEvent.objects.filter(action="activity.checked_in").count() == 1
