"""The roll-up tiers behind the three rates (docs/rates.md): the daily rows per community, day, grid,
department and category, and the monthly rows per community, month and one key at a time. The services keep
both in the same transaction as the step that changes a count (``rates.rollup.bump``); ``anju rollup_rebuild``
recounts them from the appeals. Part of the appeals app (``appeals.models`` imports them)."""

from __future__ import annotations

from typing import Any

from django.db import models

from anju.orgs.models import CommunityScopedModel


class RollupCounters(CommunityScopedModel):
    """The counters behind the three rates, kept by the services in both roll-up tiers alike."""

    received = models.PositiveIntegerField(default=0)
    # The response rate (docs/rates.md): each dispatched appeal once, on the day and against the department of
    # the dispatch that kept it (moved when the community re-routes it or rightly takes a referral back).
    dispatched = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    # The community's routing accuracy: every dispatch to a department not already leading the appeal, and
    # those of them re-routed or rightly referred back, on the day and against the department of that dispatch.
    dispatches = models.PositiveIntegerField(default=0)
    misrouted = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)  # callbacks completed + closed unresolved without one
    resolved = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    # Appeals marked complex (复杂诉求), on the day of the mark, against the department leading the appeal then.
    complex_marked = models.PositiveIntegerField(default=0)
    whistles = models.PositiveIntegerField(default=0)
    summoned = models.PositiveIntegerField(default=0)
    arrived_on_time = models.PositiveIntegerField(default=0)  # verified arrivals (scanned or confirmed) only
    # Arrivals by how they were recorded (Summons.Arrival); a self-declared one may later be verified.
    arrived_scanned = models.PositiveIntegerField(default=0)
    arrived_confirmed = models.PositiveIntegerField(default=0)
    arrived_self_declared = models.PositiveIntegerField(default=0)
    # Live state kept as a balance: +1 when an appeal starts awaiting callback (handled or verified), -1 when
    # it leaves; always on the row of the appeal's received day, so a row never goes below zero and the sum
    # over a period is "appeals received then that still await their callback".
    awaiting_callback = models.IntegerField(default=0)

    COUNTERS: tuple[str, ...] = (
        "received",
        "dispatched",
        "responded",
        "dispatches",
        "misrouted",
        "completed",
        "resolved",
        "ratings",
        "satisfied",
        "reopened",
        "complex_marked",
        "whistles",
        "summoned",
        "arrived_on_time",
        "arrived_scanned",
        "arrived_confirmed",
        "arrived_self_declared",
        "awaiting_callback",
    )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COUNTERS}

    class Meta:
        abstract = True


class DailyRollup(RollupCounters):
    """Per day, community, grid, department and category: the counts behind the three rates."""

    day = models.DateField()
    # Plain ids (0 = none) so the key is unique on every backend and carries no join.
    grid_key = models.PositiveIntegerField(default=0)
    department_key = models.PositiveIntegerField(default=0)
    category_key = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "community", "grid_key", "department_key", "category_key"],
                name="appeals_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["community", "day"], name="rollup_community_day")]


class MonthlyRollup(RollupCounters):
    """The monthly tier: per month and community, the same counters summed by one key at a time — each
    department, category and grid of the month (``dimension`` and ``key``; 0 = none, as in the daily tier), and
    the community's total (``total``, key 0). Each month's rows of a dimension sum to the daily rows of that
    month, so a long period reads a few rows per community and month, not one per day and key
    (``rates.selectors.rates_report`` picks the tier). Kept by the same bumps, in the same transaction
    (``rates.rollup.bump``)."""

    class Dimension(models.TextChoices):
        TOTAL = "total", "total"
        DEPARTMENT = "department", "department"
        CATEGORY = "category", "category"
        GRID = "grid", "grid"

    month = models.DateField()  # the first day of the month
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "dimension", "month", "key"], name="appeals_monthly_key")
        ]
