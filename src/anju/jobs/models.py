"""Background and periodic work, driven by rows (DESIGN.md rule 5).

A :class:`Job` is one piece of work, enqueued in the same transaction as the
change that asks for it, so it exists exactly when that change committed. A
:class:`PeriodicTask` row holds when a periodic task is next due; the worker
claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (a
serialised ``BEGIN IMMEDIATE`` on SQLite), so two workers never run the same
row at once and a crashed worker's claim simply expires.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("task"), max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    run_at = models.DateTimeField(_("due"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["run_at", "id"]
        indexes = [models.Index(fields=["status", "run_at"], name="job_due")]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk}"


class PeriodicTask(models.Model):
    name = models.CharField(_("task"), max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField(_("next run"), default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_status = models.CharField(max_length=10, blank=True)
    last_error = models.TextField(blank=True)
    # What the last run returned (counts, usually), e.g. "deleted=3, promoted=0".
    last_result = models.CharField(_("last result"), max_length=500, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("periodic task")
        verbose_name_plural = _("periodic tasks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
