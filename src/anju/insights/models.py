"""Tables of insights: the annual reports asked for (the dashboard's figures are read, never stored here)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Report(CommunityScopedModel):
    """A community's annual report (PDF) for one year, built by the worker (``insights.report_build``).

    At most one report of a community and year is queued or running at a time — a partial unique constraint,
    so two requests racing each other end with one row and one job (the second gets the first's row)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    RUNNING_STATUSES = (Status.QUEUED, Status.RUNNING)

    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    phase = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    file = models.FileField(_("file"), upload_to="insights/reports/", blank=True)
    pages = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"],
                condition=models.Q(status__in=["queued", "running"]),
                name="insights_one_running_report",
            ),
        ]
        indexes = [models.Index(fields=["community", "year"], name="insights_report_year")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.year}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES
