"""The official schedule an administrator enters for a year the holiday library (``chinesecalendar``) does not
know yet, or corrects for one it does. Read through :class:`anju.calendar.workdays.Calendar`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayDate(models.Model):
    """An official day entered by an administrator for a year the library does not know yet."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("official day")
        verbose_name_plural = _("official days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class HolidayYear(models.Model):
    """A year whose official schedule an administrator has entered (so it is no longer provisional)."""

    year = models.PositiveSmallIntegerField(unique=True)
    entered_at = models.DateTimeField(auto_now_add=True)
    # Each entry (the first, or a corrected one) is a new revision; the modules whose deadlines depend on the
    # calendar recompute them in the background (appeals: ``appeals.deadlines_recompute``), then mark the revision
    # they ran for with ``calendar.services.year_recomputed``.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    recompute_queued_at = models.DateTimeField(_("recompute queued"), null=True, blank=True)
    recomputed_revision = models.PositiveIntegerField(default=0)
    recompute_finished_at = models.DateTimeField(_("recompute finished"), null=True, blank=True)
    recomputed_count = models.PositiveIntegerField(_("deadlines moved"), default=0)

    def __str__(self) -> str:
        return str(self.year)

    @property
    def recompute_pending(self) -> bool:
        return self.recomputed_revision < self.revision
