"""Mediation cases: the state machine and its guards, bad input (a clear error, nothing written), the risk flag
alerting exactly once, access-log rows per read, no personal data in the inbox, the audit trail or the
statistics, the 调解协议书 PDF, and the appeal's referral line."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from anju.audit.models import AuditEvent, PiiAccess
from anju.inbox.models import Message
from anju.mediation import notices, services
from anju.mediation.models import Case, FollowUp, Party, Session, Status
from anju.testing.mediation import MediationWorld, agree, make_mediation_world, open_case, schedule

pytestmark = pytest.mark.django_db

NAMES = ("张三丰", "李四光")


@pytest.fixture
def mw() -> MediationWorld:
    return make_mediation_world()


def _counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Party.objects.count(),
        Session.objects.count(),
        FollowUp.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_state_machine_agreed_followed_up_closed(mw: MediationWorld) -> None:
    lead = mw.users["mediator"]
    case = open_case(mw)
    assert case.status == Status.OPEN
    assert case.number.startswith("TJ")
    schedule(case, lead, mw.room)
    agree(case, lead)
    case.refresh_from_db()
    assert case.status == Status.AGREED
    days = sorted((f.due_on - timezone.localdate()).days for f in case.follow_ups.all())
    assert days == [7, 30]
    for f in case.follow_ups.all():
        services.follow_up_record(actor=lead, follow_up=f, result=FollowUp.Result.KEPT)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.closed_at is not None


def test_a_broken_agreement_reopens_the_case(mw: MediationWorld) -> None:
    lead = mw.users["mediator"]
    case = agree(open_case(mw), lead)
    first = case.follow_ups.order_by("due_on").first()
    with pytest.raises(ValidationError):
        services.case_reopen(actor=lead, case=case)  # nothing broken yet
    services.follow_up_record(actor=lead, follow_up=first, result=FollowUp.Result.BROKEN)
    services.case_reopen(actor=lead, case=case)
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert case.reopened == 1
    assert not case.follow_ups.filter(done_at__isnull=True).exists()


def test_no_agreement_and_referral_close_the_case(mw: MediationWorld) -> None:
    lead = mw.users["mediator"]
    failed = open_case(mw)
    services.no_agreement_record(actor=lead, case=failed, reason="双方分歧太大")
    assert Case.objects.get(pk=failed.pk).status == Status.NO_AGREEMENT
    with pytest.raises(ValidationError):
        agree(failed, lead)
    referred = open_case(mw)
    services.referral_record(actor=lead, case=referred, referred_to="justice", reason="金额较大")
    referred.refresh_from_db()
    assert referred.status == Status.REFERRED
    assert referred.referred_to == "justice"


@pytest.mark.parametrize(
    "what", ["party_is_mediator", "no_undertakings", "booked_room", "early_follow_up", "reopen_referred"]
)
def test_bad_input_is_refused_and_writes_nothing(mw: MediationWorld, what: str) -> None:
    lead = mw.users["mediator"]
    case = open_case(mw)
    if what == "booked_room":
        schedule(case, lead, mw.room, hour=10)
    if what == "reopen_referred":
        services.referral_record(actor=lead, case=case, referred_to="court", reason="起诉")
    if what == "early_follow_up":
        FollowUp.objects.create(community=case.community, case=case, due_on=timezone.localdate())
    before = _counts()
    attempts = {
        "party_is_mediator": lambda: open_case(mw, names=("刘调解", "李四光")),
        "no_undertakings": lambda: services.agreement_record(actor=lead, case=case, facts="事实", undertakings=[]),
        "booked_room": lambda: schedule(case, lead, mw.room, hour=10),
        "early_follow_up": lambda: services.follow_up_record(
            actor=lead, follow_up=case.follow_ups.get(), result="kept"
        ),
        "reopen_referred": lambda: services.case_reopen(actor=lead, case=case),
    }
    with pytest.raises(ValidationError) as caught:
        attempts[what]()
    assert caught.value.messages
    assert _counts() == before


def test_bad_input_on_the_pages_answers_in_the_users_language(mw: MediationWorld, client_for: Any) -> None:
    lead = mw.users["mediator"]
    case = open_case(mw)
    client = client_for(lead)
    before = _counts()
    response = client.post(reverse("mediation:agreement", args=[case.pk]), {"facts": "事实"})
    assert response.status_code == 422
    assert 'id="agreement-errors"' in response.content.decode()
    schedule(case, lead, mw.room, hour=10)
    before = _counts()
    starts = timezone.localtime(case.sessions.get().starts_at)
    response = client.post(
        reverse("mediation:session_new", args=[case.pk]),
        {
            "space": mw.room.pk,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 422
    assert 'id="case-errors"' in response.content.decode()
    assert _counts()[:4] == before[:4]
    response = client.post(reverse("mediation:reopen", args=[case.pk]))
    assert response.status_code == 422


def test_the_risk_flag_alerts_the_secretary_and_police_exactly_once(mw: MediationWorld) -> None:
    case = open_case(mw, violence_risk=True)
    secretary, police = mw.users["branch_secretary"], mw.users["police"]
    alerts = Message.objects.filter(kind=notices.RISK)
    assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted([secretary.pk, police.pk])
    assert services.risk_alert(case) is False  # a retry sends nothing
    services.case_flag_risk(actor=mw.users["mediator"], case=case)
    assert alerts.count() == 2
    later = open_case(mw)
    assert not Message.objects.filter(kind=notices.RISK, params__case=later.number).exists()
    services.case_flag_risk(actor=mw.users["mediator"], case=later)
    services.case_flag_risk(actor=mw.users["mediator"], case=later)
    assert Message.objects.filter(kind=notices.RISK, params__case=later.number).count() == 2


def test_every_read_of_a_case_writes_an_access_log_row(mw: MediationWorld, client_for: Any) -> None:
    case = agree(open_case(mw), mw.users["mediator"])
    for who in ("mediator", "branch_secretary"):
        client = client_for(mw.users[who])
        before = PiiAccess.objects.filter(subject_id=str(case.pk), actor=mw.users[who]).count()
        assert client.get(reverse("mediation:case", args=[case.pk])).status_code == 200
        assert client.get(f"/api/v1/mediation/cases/{case.pk}").status_code == 200
        assert client.get(reverse("mediation:agreement_print", args=[case.pk])).status_code == 200
        rows = PiiAccess.objects.filter(subject_id=str(case.pk), actor=mw.users[who])
        assert rows.count() == before + 3
        assert all(r.subject_label == case.number for r in rows)
    # The opener sees the status only, and reading the status is not a read of the content.
    opener = client_for(mw.users["opener"])
    page = opener.get(reverse("mediation:case", args=[case.pk]))
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert NAMES[0] not in page.content.decode()
    assert "楼道" not in page.content.decode()
    assert not PiiAccess.objects.filter(subject_id=str(case.pk), actor=mw.users["opener"]).exists()


def test_no_personal_data_in_the_inbox_audit_or_statistics(mw: MediationWorld, client_for: Any) -> None:
    lead = mw.users["mediator"]
    case = open_case(mw, violence_risk=True)
    schedule(case, lead, mw.room)
    agree(case, lead, promise="赔偿修门费三百元")
    for f in case.follow_ups.all():
        services.follow_up_record(actor=lead, follow_up=f, result="partly", note="只赔了一半")
    secret = [*NAMES, "楼道", "13812345678", "赔偿修门费", "只赔了一半", "双方确认"]
    texts = [str(m.params) + m.url for m in Message.objects.all()]
    texts += [f"{e.object_label} {e.data}" for e in AuditEvent.objects.filter(action__startswith="mediation.")]
    texts += [f"{r.subject_label} {r.reason}" for r in PiiAccess.objects.all()]
    from anju.spaces.models import Booking

    texts += [b.title for b in Booking.objects.all()]
    supervisor = client_for(mw.users["supervisor"])
    today = timezone.localdate()
    api = supervisor.get(f"/api/v1/mediation/stats?start={today.replace(day=1)}&end={today}")
    assert api.status_code == 200
    assert api.json()["total"] == 1
    assert api.json()["follow_ups"]["partly"] == 2
    texts.append(api.content.decode())
    page = supervisor.get(reverse("mediation:stats"))
    assert page.status_code == 200
    texts.append(page.content.decode())
    # the Excel export of the same statistics: counts only, not even the case number
    xlsx = supervisor.get(reverse("mediation:stats") + "?format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in xlsx["Cache-Control"]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert list(summary.values())[3] == 1  # cases opened
    by_month = list(book.worksheets[-1].iter_rows(values_only=True))
    assert sum(row[3] for row in by_month[1:]) == 2  # two follow-ups partly kept
    texts.append(" ".join(cells))
    assert case.number not in texts[-1]
    assert AuditEvent.objects.filter(action="mediation.stats_exported").count() == 1
    leaked = [s for s in secret for t in texts if s in t]
    assert leaked == []


def test_statistics_reach_up_the_tree_and_not_across(mw: MediationWorld, client_for: Any) -> None:
    open_case(mw)
    other = mw.users["other_worker"]
    from anju.access.roles import Role
    from anju.testing import make_user

    other_lead = make_user(Role.COMMUNITY_WORKER, mw.tree.other_community)
    open_case(community=mw.tree.other_community, opener=other, lead=other_lead)
    today = timezone.localdate()
    query = f"?start={today.replace(day=1)}&end={today}"
    assert client_for(mw.users["supervisor"]).get("/api/v1/mediation/stats" + query).json()["total"] == 2
    assert client_for(mw.users["branch_secretary"]).get("/api/v1/mediation/stats" + query).json()["total"] == 1
    assert client_for(mw.users["resident"]).get("/api/v1/mediation/stats" + query).status_code == 403


def test_the_agreement_pdf_carries_the_parties_and_undertakings(mw: MediationWorld, client_for: Any) -> None:
    from pypdf import PdfReader

    lead = mw.users["mediator"]
    case = agree(open_case(mw), lead, promise="一周内清理楼道杂物")
    response = client_for(lead).get(reverse("mediation:agreement_print", args=[case.pk]), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = "".join(text.split())
    for needle in (*NAMES, "一周内清理楼道杂物", "调解协议书", case.number):
        assert needle in compact, needle


def test_an_appeal_referred_to_mediation_shows_only_the_number_and_status(mw: MediationWorld, client_for: Any) -> None:
    import importlib

    from django.apps import apps as django_apps

    from anju.appeals.intake import services as intake
    from anju.appeals.models import Category, Channel

    importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(django_apps, None)
    appeal = intake.appeal_file(
        actor=mw.users["resident"],
        community=mw.tree.community,
        category=Category.objects.filter(is_active=True).first(),
        description="邻居家装修噪音",
        location=mw.tree.building,
        channel=Channel.APP,
    )
    worker = client_for(mw.users["opener"])
    page = worker.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert f"/mediation/new/?appeal={appeal.pk}" in page
    case = open_case(mw, appeal=appeal, names=("王大锤", "赵小花"))
    page = worker.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert case.number in page
    assert str(case.get_status_display()) in page
    assert "王大锤" not in page
    assert "楼道" not in page
    with pytest.raises(ValidationError):
        open_case(mw, appeal=appeal)


@pytest.mark.xdist_group("connections")  # a race of tens of connections (make test: --dist loadgroup)
@pytest.mark.django_db(transaction=True)
def test_twenty_mediators_flag_the_risk_at_once_and_it_alerts_once(tmp_path: Any) -> None:
    """The conditional update of ``risk_alerted_at`` claims the alert: on PostgreSQL the row lock makes the
    losers re-read it; on SQLite the IMMEDIATE transaction serialises the writers."""
    import threading

    from anju.testing import sqlite_file_database, thread_connection

    racers = 20
    with sqlite_file_database(tmp_path / "risk.sqlite3"):
        mw = make_mediation_world()
        case = open_case(mw)
        lead = mw.users["mediator"]
        start_line = threading.Barrier(racers)
        failures: list[BaseException] = []

        def flag() -> None:
            with thread_connection():
                start_line.wait(timeout=60)
                try:
                    services.case_flag_risk(actor=lead, case=Case.objects.get(pk=case.pk))
                except BaseException as exc:  # noqa: BLE001  reported below
                    failures.append(exc)

        threads = [threading.Thread(target=flag) for _ in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert failures == []
        alerts = Message.objects.filter(kind=notices.RISK, params__case=case.number)
        assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted(
            [mw.users["branch_secretary"].pk, mw.users["police"].pk]
        )


def test_a_due_follow_up_reminds_the_lead_mediator_exactly_once(mw: MediationWorld) -> None:
    lead = mw.users["mediator"]
    case = agree(open_case(mw, names=NAMES), lead)
    week, month = case.follow_ups.order_by("due_on")
    today = timezone.localdate()
    assert services.follow_up_reminders_send(today=today) == 0  # nothing due yet
    assert services.follow_up_reminders_send(today=week.due_on) == 1
    assert services.follow_up_reminders_send(today=week.due_on) == 0  # a second sweep sends nothing
    msgs = Message.objects.filter(kind=notices.FOLLOW_UP_DUE)
    assert [m.recipient_id for m in msgs] == [lead.pk]
    shown = f"{msgs[0].params} {msgs[0].url}"
    assert case.number in shown
    assert all(name not in shown for name in NAMES)
    # a follow-up recorded before it fell due is not reminded of
    services.follow_up_record(actor=lead, follow_up=month, result=FollowUp.Result.KEPT)
    assert services.follow_up_reminders_send(today=month.due_on + dt.timedelta(days=3)) == 0
    assert msgs.count() == 1
    week.refresh_from_db()
    assert week.reminded_at is not None


def test_no_follow_up_reminder_for_a_case_no_longer_agreed(mw: MediationWorld) -> None:
    lead = mw.users["mediator"]
    case = agree(open_case(mw), lead)
    first = case.follow_ups.order_by("due_on").first()
    services.follow_up_record(actor=lead, follow_up=first, result=FollowUp.Result.BROKEN)
    services.case_reopen(actor=lead, case=case)
    assert services.follow_up_reminders_send(today=timezone.localdate() + dt.timedelta(days=60)) == 0
    assert not Message.objects.filter(kind=notices.FOLLOW_UP_DUE).exists()


def test_the_follow_up_reminder_runs_from_the_worker() -> None:
    from anju.jobs.registry import periodic_tasks

    assert "mediation.follow_up_reminders" in periodic_tasks()
