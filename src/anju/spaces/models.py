"""The station's rooms and shared areas. Bookings come with the spaces issue;
the foundation holds the station and its spaces so every community has them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Station(CommunityScopedModel):
    """A party–mass service station (党群服务站)."""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="station_unique_name")]

    def __str__(self) -> str:
        return self.name


class Space(CommunityScopedModel):
    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        OUTDOOR = "outdoor", _("Outdoor area")

    class Audience(models.TextChoices):
        RESIDENTS = "residents", _("Residents")
        GROUPS = "groups", _("Groups")
        STAFF = "staff", _("Staff only")

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="spaces")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROOM)
    capacity = models.PositiveIntegerField(_("capacity"), default=10)
    description = models.TextField(_("description"), blank=True)
    bookable_by = models.CharField(
        _("who may book"), max_length=10, choices=Audience.choices, default=Audience.RESIDENTS
    )
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        help_text=_("For an area inside a larger space (e.g. the reading area of the shared living room)."),
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["station_id", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="space_unique_name")]

    def __str__(self) -> str:
        return self.name
