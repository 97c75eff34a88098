"""The demo's co-building project: the four contributions of the issue and a spending list that balances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.test import Client
from django.urls import reverse

from anju.contributions import selectors
from anju.contributions.demo import NAME, SPENDING
from anju.contributions.models import Contribution, Kind, MoneyEntry, Project, Unit
from anju.site.demo import load_demo


@pytest.mark.django_db
def test_the_demo_station_project_balances() -> None:
    load_demo(log=lambda *args: None)
    project = Project.objects.get(name=NAME)
    totals = {(t.kind, t.unit): t.quantity for t in selectors.totals(project)}
    assert totals[(Kind.MONEY, Unit.YUAN)] == Decimal(300000)
    assert totals[(Kind.LAND, Unit.SQM)] == Decimal(1280)  # 80 m² for the pavilion + 1,200 m² from 11 households
    assert totals[(Kind.LABOUR, Unit.PERSON_DAY)] == Decimal(350)  # 10 days × 35 people
    households = Contribution.objects.filter(project=project, contributor="household")
    assert households.count() == 11
    assert households.aggregate(n=Sum("quantity"))["n"] == Decimal(1200)
    spent = sum(int(Decimal(amount) * 100) for _p, amount, _w in SPENDING)
    money = selectors.money(project)
    assert (money.received_fen, money.spent_fen) == (30_000_000, spent)
    project.refresh_from_db()
    counted = MoneyEntry.objects.filter(project=project).filter(Q(needs_approval=False) | Q(approval__isnull=False))
    assert project.balance_fen == counted.aggregate(n=Sum("amount_fen"))["n"] == 30_000_000 - spent >= 0
    page = Client().get(reverse("contributions:public", args=[project.pk]))  # the demo community publishes it
    assert page.status_code == 200
    assert "乡贤理事会" in page.content.decode()
    assert load_demo(log=lambda *args: None) is not None
    assert Project.objects.filter(name=NAME).count() == 1
