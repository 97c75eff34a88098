"""The org tree, departments and task forces.

Org units form a tree of any depth stored as a materialised path: each unit's
``path`` is its ancestors' ids followed by its own, so a subtree is one
indexed ``path LIKE 'prefix%'`` query and never a walk row by row.

Every domain row of later apps carries the community it belongs to (the
tenant key) through :class:`CommunityScopedModel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Django's base user, not ``accounts.User``: accounts sits above orgs (DEVELOPMENT.md, "Layers").
    from django.contrib.auth.base_user import AbstractBaseUser


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    AREA = "area", _("Area")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")


# A child's kind must rank below its parent's; the levels may be skipped.
KIND_RANK = {kind: rank for rank, kind in enumerate(UnitKind.values)}


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(OrgUnit.subtree_q(unit))

    def communities(self) -> OrgUnitQuerySet:
        return self.filter(kind=UnitKind.COMMUNITY)

    def active(self) -> OrgUnitQuerySet:
        return self.filter(is_active=True)


class OrgUnit(models.Model):
    PATH_STEP = 10  # characters per level: nine-digit zero-padded id and "/"

    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"), max_length=32, blank=True, help_text=_("Administrative division code, optional.")
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    community = models.ForeignKey(
        "self",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text=_("The community this unit is in (itself for a community); empty above community level."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_name_under_parent"),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="orgunit_kind_path")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def paths_above(cls, path: str) -> list[str]:
        """The paths of the units above the one at ``path``, from the root down."""
        step = cls.PATH_STEP
        return [path[: i * step] for i in range(1, len(path) // step)]

    @staticmethod
    def subtree_q(unit: OrgUnit, prefix: str = "") -> Q:
        """A filter for rows whose org unit (``prefix`` + ``path``, e.g. ``"community__"``) lies in
        ``unit``'s subtree (the unit itself included)."""
        return Q(**{f"{prefix}path__startswith": unit.path})

    @property
    def ancestor_paths(self) -> list[str]:
        return self.paths_above(self.path)

    def ancestors(self) -> OrgUnitQuerySet:
        """Ancestors from the root down, in one query."""
        return OrgUnit.objects.filter(path__in=self.ancestor_paths).order_by("depth")

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)

    @property
    def kind_label(self) -> str:
        return str(UnitKind(self.kind).label)


class Department(models.Model):
    """A functional department (职能部门) of a district or street."""

    class Kind(models.TextChoices):
        URBAN_MANAGEMENT = "urban", _("Urban management (城管)")
        HOUSING = "housing", _("Housing and construction (住建)")
        POWER = "power", _("Power supply (供电)")
        WATER = "water", _("Water (水务)")
        POLICE = "police", _("Police station (派出所)")
        HEALTH = "health", _("Health (卫健)")
        CIVIL_AFFAIRS = "civil", _("Civil affairs (民政)")
        GAS = "gas", _("Gas (燃气)")
        ENVIRONMENT = "environment", _("Ecology and environment (生态环境)")
        MARKET = "market", _("Market regulation (市场监管)")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("belongs to"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("The district or street the department belongs to."),
    )
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["unit__path", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="department_unique_name_in_unit")]

    def __str__(self) -> str:
        return self.name


class CommunityScopedModel(models.Model):
    """Base for every domain row: it carries its community, the tenant key."""

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )

    class Meta:
        abstract = True


class TaskForce(CommunityScopedModel):
    """A joint team (专班), e.g. the four-in-one team of a community."""

    name = models.CharField(_("name"), max_length=100)
    purpose = models.TextField(_("purpose"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")
        ordering = ["community_id", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="taskforce_unique_name")]

    def __str__(self) -> str:
        return self.name


class TaskForceMember(CommunityScopedModel):
    task_force = models.ForeignKey(TaskForce, on_delete=models.CASCADE, related_name="members")
    user: models.ForeignKey[AbstractBaseUser | None, AbstractBaseUser | None] = models.ForeignKey(
        "accounts.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    organisation = models.CharField(
        _("organisation"), max_length=100, help_text=_("e.g. party branch, residents' committee, property company")
    )
    role = models.CharField(_("role in the team"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("task force member")
        verbose_name_plural = _("task force members")
        ordering = ["task_force_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"
