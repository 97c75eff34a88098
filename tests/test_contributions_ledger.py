"""The money ledger of contributions: receipts and expenditures in fen, the balance that never goes negative
unless an expenditure is advanced, four-eyes approval over the threshold, reversals (once, never of a
reversal), append-only rows, bad input refused with nothing written; and a hypothesis property test: the
balance always equals the sum of the counted entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anju.contributions import services
from anju.contributions.models import Approval, Contribution, Kind, MoneyEntry, Project, Unit
from anju.testing.contributions import ContributionsWorld, donate, make_contributions_world, make_project

DAY = date(2026, 3, 2)


@pytest.fixture
def cw(db: None) -> ContributionsWorld:
    return make_contributions_world()


def counted_sum(project: Project) -> int:
    qs = MoneyEntry.objects.filter(project=project).filter(
        Q(needs_approval=False) | Q(approval__decision=Approval.Decision.APPROVED)
    )
    return int(qs.aggregate(n=Sum("amount_fen"))["n"] or 0)


def balance(project: Project) -> int:
    project.refresh_from_db()
    return project.balance_fen


def spend(cw: ContributionsWorld, amount: str, *, advanced: bool = False, actor: object = None) -> MoneyEntry:
    return services.expenditure_record(
        actor=actor or cw.worker, project=cw.project, amount=amount, day=DAY, purpose="水泥", advanced=advanced
    )


def test_small_donation_counts_at_once_and_gets_a_receipt_number(cw: ContributionsWorld) -> None:
    c = donate(cw, "1234.56")
    assert c.money_entry is not None
    assert c.money_entry.amount_fen == 123456
    assert balance(cw.project) == 123456
    assert c.receipt_no == "2026-00001"
    assert donate(cw, "1").receipt_no == "2026-00002"


def test_over_the_threshold_counts_only_once_a_second_person_approves(cw: ContributionsWorld) -> None:
    c = donate(cw, "300000")
    entry = c.money_entry
    assert entry is not None
    assert entry.needs_approval
    assert balance(cw.project) == 0
    with translation.override("en"), pytest.raises(ValidationError, match="second person"):
        services.entry_decide(actor=cw.worker, entry=entry, approve=True)
    assert not Approval.objects.exists()
    services.entry_decide(actor=cw.second, entry=entry, approve=True)
    assert balance(cw.project) == 30_000_000
    with translation.override("en"), pytest.raises(ValidationError, match="already been decided"):
        services.entry_decide(actor=cw.second, entry=entry, approve=True)
    assert balance(cw.project) == 30_000_000


def test_the_database_refuses_an_approval_by_the_recorder(cw: ContributionsWorld) -> None:
    entry = donate(cw, "300000").money_entry
    assert entry is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(
            community=cw.tree.community,
            entry=entry,
            decision="approved",
            entry_recorded_by=cw.worker,
            decided_by=cw.worker,
        )


def test_a_rejected_entry_never_counts(cw: ContributionsWorld) -> None:
    entry = donate(cw, "300000").money_entry
    assert entry is not None
    services.entry_decide(actor=cw.second, entry=entry, approve=False)
    assert balance(cw.project) == 0
    with translation.override("en"), pytest.raises(ValidationError, match="does not count"):
        services.entry_reverse(actor=cw.worker, entry=entry, reason="退回")


def test_the_threshold_is_the_communitys(cw: ContributionsWorld) -> None:
    services.setting_set(actor=cw.worker, community=cw.tree.community, public=True, threshold="100")
    assert donate(cw, "100").money_entry.needs_approval is False  # type: ignore[union-attr]
    assert donate(cw, "100.01").money_entry.needs_approval is True  # type: ignore[union-attr]


def test_expenditure_beyond_the_balance_is_refused_unless_advanced(cw: ContributionsWorld) -> None:
    donate(cw, "100")
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="余额"):
        spend(cw, "100.01")
    assert MoneyEntry.objects.filter(type="expenditure").count() == 0
    spend(cw, "60")
    assert balance(cw.project) == 4000
    spend(cw, "100", advanced=True)
    cw.project.refresh_from_db()
    assert (cw.project.balance_fen, cw.project.advanced_fen) == (-6000, 10000)
    with translation.override("en"), pytest.raises(ValidationError, match="more than the project's balance"):
        spend(cw, "1")
    donate(cw, "200")
    spend(cw, "1")
    assert balance(cw.project) == counted_sum(cw.project) == 13900


def test_reversals_once_and_never_of_a_reversal(cw: ContributionsWorld) -> None:
    donate(cw, "500")
    out = spend(cw, "200")
    rev = services.entry_reverse(actor=cw.worker, entry=out, reason="发票开错")
    assert rev.amount_fen == 20000
    assert balance(cw.project) == 50000
    with translation.override("en"), pytest.raises(ValidationError, match="already reversed"):
        services.entry_reverse(actor=cw.worker, entry=out, reason="again")
    with translation.override("en"), pytest.raises(ValidationError, match="reversal cannot be reversed"):
        services.entry_reverse(actor=cw.worker, entry=rev, reason="again")
    with translation.override("en"), pytest.raises(ValidationError, match="Say why"):
        services.entry_reverse(actor=cw.worker, entry=rev, reason=" ")
    assert MoneyEntry.objects.filter(type="reversal").count() == 1
    assert balance(cw.project) == counted_sum(cw.project)


def test_a_receipt_already_spent_cannot_be_reversed(cw: ContributionsWorld) -> None:
    c = donate(cw, "500")
    spend(cw, "400")
    with translation.override("en"), pytest.raises(ValidationError, match="below zero"):
        services.contribution_reverse(actor=cw.worker, contribution=c, reason="捐错项目")
    assert not Contribution.objects.filter(reverses=c).exists()
    assert balance(cw.project) == 10000


def test_reversing_a_contribution_reverses_its_receipt(cw: ContributionsWorld) -> None:
    c = donate(cw, "500")
    rev = services.contribution_reverse(actor=cw.worker, contribution=c, reason="捐错项目")
    assert rev.quantity == -c.quantity
    assert rev.money_entry is not None
    assert balance(cw.project) == 0
    with translation.override("en"), pytest.raises(ValidationError, match="already reversed"):
        services.contribution_reverse(actor=cw.worker, contribution=c, reason="again")


def test_ledger_rows_are_append_only_in_the_database(cw: ContributionsWorld) -> None:
    c = donate(cw, "10")
    for qs in (MoneyEntry.objects.filter(pk=c.money_entry_id), Contribution.objects.filter(pk=c.pk)):
        with pytest.raises(DatabaseError), transaction.atomic():
            qs.update(day=date(2020, 1, 1))
        with pytest.raises(DatabaseError), transaction.atomic():
            qs.delete()


@pytest.mark.parametrize(
    ("kind", "quantity", "unit", "field", "message"),
    [
        (Kind.MONEY, "-5", Unit.YUAN, "quantity", "more than zero"),
        (Kind.MONEY, "0", Unit.YUAN, "quantity", "more than zero"),
        (Kind.MONEY, "0.001", Unit.YUAN, "quantity", "one fen"),
        (Kind.MONEY, "abc", Unit.YUAN, "quantity", "in yuan"),
        (Kind.MONEY, "NaN", Unit.YUAN, "quantity", "in yuan"),
        (Kind.MONEY, "80", Unit.SQM, "unit", "not m²"),
        (Kind.LAND, "-1", Unit.SQM, "quantity", "more than zero"),
        (Kind.LABOUR, "10", Unit.YUAN, "unit", "not yuan"),
        ("gold", "10", Unit.YUAN, "kind", "kind"),
    ],
)
def test_bad_contributions_are_refused_and_nothing_is_written(
    cw: ContributionsWorld, kind: str, quantity: str, unit: str, field: str, message: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.contribution_record(
            actor=cw.worker,
            project=cw.project,
            contributor="household",
            name="李家",
            kind=kind,
            quantity=quantity,
            unit=unit,
            tenure="given",
            day=DAY,
        )
    assert message in " ".join(exc.value.message_dict[field])
    assert not Contribution.objects.exists()
    assert not MoneyEntry.objects.exists()


def test_bad_input_in_chinese(cw: ContributionsWorld) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.contribution_record(
            actor=cw.worker,
            project=cw.project,
            contributor="person",
            name="张三",
            kind=Kind.MONEY,
            quantity="80",
            unit=Unit.SQM,
            day=DAY,
        )
    assert "不是" in exc.value.message_dict["unit"][0]


def test_labour_as_a_group(cw: ContributionsWorld) -> None:
    c = services.labour_record(
        actor=cw.worker, project=cw.project, name="志愿者服务队", people="35", days="10", day=DAY
    )
    assert (c.kind, c.unit, c.quantity, c.people) == (Kind.LABOUR, Unit.PERSON_DAY, 350, 35)
    with pytest.raises(ValidationError):
        services.labour_record(actor=cw.worker, project=cw.project, name="x", people="-3", days="10", day=DAY)


# --- the property: the balance is the sum of the counted entries ---------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["receipt", "spend", "advance", "approve", "reject", "reverse", "self_approve"]),
        st.integers(min_value=1, max_value=2_000_000),
        st.integers(min_value=0, max_value=50),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_balance_always_equals_the_sum_of_counted_entries(
    cw: ContributionsWorld, ops: list[tuple[str, int, int]]
) -> None:
    project = make_project(cw.worker, cw.tree.community, "性质测试")
    for op, fen, pick in ops:
        amount = f"{fen / 100:.2f}"
        entries = list(MoneyEntry.objects.filter(project=project).order_by("pk"))
        target = entries[pick % len(entries)] if entries else None
        try:
            if op == "receipt":
                donate(cw, amount, project=project)
            elif op in ("spend", "advance"):
                services.expenditure_record(
                    actor=cw.worker, project=project, amount=amount, day=DAY, purpose="x", advanced=op == "advance"
                )
            elif op in ("approve", "reject", "self_approve") and target is not None:
                actor = cw.worker if op == "self_approve" else cw.second
                services.entry_decide(actor=actor, entry=target, approve=op != "reject")
            elif op == "reverse" and target is not None:
                services.entry_reverse(actor=cw.second, entry=target, reason="更正")
        except ValidationError:
            pass
        project.refresh_from_db()
        assert project.balance_fen == counted_sum(project)
        assert project.balance_fen + project.advanced_fen >= 0
        advanced = MoneyEntry.objects.filter(project=project, advanced=True).filter(
            Q(needs_approval=False) | Q(approval__decision="approved") | Q(type="reversal")
        )
        assert project.advanced_fen == -int(advanced.aggregate(n=Sum("amount_fen"))["n"] or 0)
    assert connection.vendor in ("sqlite", "postgresql")


def test_labour_taken_in_from_the_duty_hours_ledger_once(db: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from anju.duty import ledger as duty_ledger
    from anju.testing.duty import make_duty_world

    w = make_duty_world(3)
    project = make_project(w.worker, w.tree.community, "荒地清理")
    day = timezone.localdate() - timedelta(days=3)
    for v in w.volunteers[:2]:
        duty_ledger.hours_add(actor=w.worker, volunteer=v, day=day, hours=8, category="清理荒地")
    duty_ledger.hours_add(actor=w.worker, volunteer=w.volunteers[2], day=day, hours=4, category="值班")
    c = services.hours_import(actor=w.worker, project=project, start=day, end=day, category="清理荒地", name="志愿者")
    assert (c.kind, c.unit, c.quantity, c.people) == (Kind.LABOUR, Unit.PERSON_DAY, 2, 2)
    with translation.override("en"), pytest.raises(ValidationError, match="No hours"):
        services.hours_import(actor=w.worker, project=project, start=day, end=day, category="清理荒地")
    rest = services.hours_import(actor=w.worker, project=project, start=day, end=day)
    assert rest.quantity == Decimal("0.50")
    with translation.override("en"), pytest.raises(ValidationError, match="before the first"):
        services.hours_import(actor=w.worker, project=project, start=day, end=day - timedelta(days=1))


def test_the_running_balance_follows_the_order_entries_counted_in(cw: ContributionsWorld) -> None:
    """A back-dated expenditure (paid on 1 March, recorded after a receipt dated 10 March) never took the
    balance below zero: the ledger's running balance moves in counting order, and its latest row is the
    balance. A large receipt counts when it is approved, not on its date."""
    from anju.contributions import selectors

    services.contribution_record(
        actor=cw.worker,
        project=cw.project,
        contributor=Contribution.Contributor.ORGANISATION,
        name="乡贤理事会",
        kind=Kind.MONEY,
        quantity="1000",
        unit=Unit.YUAN,
        day=date(2026, 3, 10),
    )
    services.expenditure_record(actor=cw.worker, project=cw.project, amount="600", day=date(2026, 3, 1), purpose="水泥")
    big = donate(cw, "300000").money_entry  # dated 1 March, waits for a second person
    assert big is not None
    services.expenditure_record(actor=cw.worker, project=cw.project, amount="300", day=date(2026, 3, 2), purpose="砖")
    services.entry_decide(actor=cw.second, entry=big, approve=True)
    rows = selectors.ledger(cw.project, limit=None)
    running = [e.running_fen for e in rows]  # type: ignore[attr-defined]
    assert running == [
        30_000_000 + 100_000 - 60_000 - 30_000,
        100_000 - 60_000 - 30_000,
        100_000 - 60_000,
        100_000,
    ]
    assert min(running) >= 0
    assert running[0] == balance(cw.project)
    assert rows[0].pk == big.pk
