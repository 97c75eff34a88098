"""The standby offer chain under a crash: a worker passing an expired offer on is killed (SIGKILL) inside its
transaction, after it wrote the next offer, its message and its audit row but before it committed. Nothing of it
stays; the next sweep makes the next offer exactly once, and a sweep after that changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone, translation

from anju.audit.models import AuditEvent
from anju.duty import seats
from anju.duty.models import Assignment
from anju.inbox.models import Message
from anju.testing import sqlite_file_database
from anju.testing.duty import make_duty_world, shift_on

CHILD = """
import sys, time
import django
django.setup()
from datetime import datetime
from anju.duty import seats
flag, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
real = seats.offer_seat
def offer_then_hang(shift, seat, at):
    made = real(shift, seat, at)
    open(flag, "w").write(str(made.pk if made else 0))
    time.sleep(120)  # killed here, inside the transaction
    return made
seats.offer_seat = offer_then_hang
seats.offers_expire(now=now)
"""


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_no_half_offer_and_the_next_sweep_offers_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "crash.sqlite3"), translation.override("en"):
        w = make_duty_world(4)
        shift = shift_on(w, timezone.localdate() + timedelta(days=4))
        a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
        seats.assignment_drop(actor=w.volunteers[0].user, assignment=a)
        first = Assignment.objects.get(shift=shift, status=Assignment.Status.OFFERED)
        later = first.offer_expires_at + timedelta(seconds=1)
        flag = tmp_path / "offered"
        env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "anju.settings"}
        if connection.vendor == "postgresql" and connection.settings_dict.get("PASSWORD"):
            env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
        connection.close()  # the child writes; SQLite lets one writer at a time
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(flag), later.isoformat()], env=env)
        try:
            deadline = time.monotonic() + 120
            while not flag.exists():
                assert child.poll() is None, "the worker ended before making its offer"
                assert time.monotonic() < deadline, "the worker made no offer in time"
                time.sleep(0.2)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        first.refresh_from_db()
        assert first.status == Assignment.Status.OFFERED  # the kill rolled the pass-on back
        assert Assignment.objects.filter(shift=shift, source="standby").count() == 1
        assert Message.objects.filter(kind="duty.offer").count() == 1
        assert seats.offers_expire(now=later) == 1
        assert seats.offers_expire(now=later) == 0
        offers = list(Assignment.objects.filter(shift=shift, source="standby").values_list("volunteer_id", flat=True))
        assert len(offers) == len(set(offers)) == 2
        assert Assignment.objects.filter(shift=shift, status=Assignment.Status.OFFERED).count() == 1
        assert Message.objects.filter(kind="duty.offer").count() == 2
        assert AuditEvent.objects.filter(action="duty.offer_expired").count() == 1
