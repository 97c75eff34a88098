"""Reads of the convention shared by the pages and the API: who sees which versions, the version in force, the
article-level diff between two versions, and acknowledgement coverage by building and area.

Residents and volunteers read the versions past the draft of their own community (``convention.view``, upward
from their building); staff read drafts too (``convention.manage``). Anything else answers 404.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from anju.access import policy
from anju.consult.models import (
    Acknowledgement,
    Amendment,
    Article,
    ArticleComment,
    Convention,
    ConventionVersion,
    VersionStatus,
)
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Household, Resident

PUBLISHED = (
    VersionStatus.COMMENT,
    VersionStatus.AMENDMENT,
    VersionStatus.ADOPTED,
    VersionStatus.IN_FORCE,
    VersionStatus.SUPERSEDED,
)


def versions_visible(user: Any) -> QuerySet[ConventionVersion]:
    """Versions ``user`` may open: every version for staff of the community, the published ones for members."""
    qs = ConventionVersion.objects.select_related("convention", "community", "previous")
    staff = (
        policy.scope_q(user, "convention.manage", "community__path") if policy.can(user, "convention.manage") else None
    )
    members = policy.scope_q(user, "convention.view", "community__path") & Q(status__in=PUBLISHED)
    return qs.filter(members | staff if staff is not None else members)


def conventions_visible(user: Any) -> QuerySet[Convention]:
    return Convention.objects.filter(pk__in=versions_visible(user).values("convention_id")).select_related("community")


def may_manage(user: Any, obj: Any) -> bool:
    return policy.can(user, "convention.manage", obj)


def in_force_for(user: Any) -> list[ConventionVersion]:
    """The versions in force ``user`` sees (one per convention of their community), articles prefetched."""
    return list(
        versions_visible(user)
        .filter(status=VersionStatus.IN_FORCE)
        .prefetch_related(Prefetch("articles", queryset=Article.objects.order_by("number")))
        .order_by("community__path", "convention_id")
    )


def open_for_comment(user: Any) -> list[ConventionVersion]:
    return list(versions_visible(user).filter(status=VersionStatus.COMMENT).order_by("comment_until", "id"))


def articles_of(version: ConventionVersion) -> list[Article]:
    return list(Article.objects.filter(version=version).annotate(comment_count=Count("comments")).order_by("number"))


def comments_of(version: ConventionVersion) -> QuerySet[ArticleComment]:
    return (
        ArticleComment.objects.filter(article__version=version)
        .select_related("article")
        .order_by("article__number", "created_at", "id")
    )


def amendments_of(version: ConventionVersion) -> QuerySet[Amendment]:
    return Amendment.objects.filter(version=version).select_related("article").order_by("created_at", "id")


def acknowledged_by(version: ConventionVersion, household: Household | None) -> Acknowledgement | None:
    if household is None:
        return None
    return Acknowledgement.objects.filter(version=version, household=household).first()


# --- diffs ------------------------------------------------------------------------------------


@dataclass
class ArticleDiff:
    """One article compared across two versions: ``added``, ``removed``, ``changed`` or ``same``."""

    change: str
    old: Article | None
    new: Article | None
    title_changed: bool = False
    renumbered: bool = False
    # The text as runs of (op, text): op is "same", "added" or "removed" (character level: Chinese has no spaces).
    runs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def number(self) -> int:
        return (self.new or self.old).number  # type: ignore[union-attr]


def text_runs(old: str, new: str) -> list[tuple[str, str]]:
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", old[a1:a2]))
            continue
        if a2 > a1:
            runs.append(("removed", old[a1:a2]))
        if b2 > b1:
            runs.append(("added", new[b1:b2]))
    return runs


def diff(old: ConventionVersion | None, new: ConventionVersion) -> list[ArticleDiff]:
    """``new`` against ``old`` article by article (matched by key), in the new order, removed ones where they
    stood."""
    old_articles = list(old.articles.order_by("number")) if old is not None else []
    new_articles = list(new.articles.order_by("number"))
    by_key = {a.key: a for a in old_articles}
    new_keys = {a.key for a in new_articles}
    rows: list[ArticleDiff] = []
    for a in new_articles:
        before = by_key.get(a.key)
        if before is None:
            rows.append(ArticleDiff("added", None, a, runs=[("added", a.body)]))
            continue
        title_changed, body_changed = before.title != a.title, before.body != a.body
        rows.append(
            ArticleDiff(
                "changed" if title_changed or body_changed else "same",
                before,
                a,
                title_changed=title_changed,
                renumbered=before.number != a.number,
                runs=text_runs(before.body, a.body) if body_changed else [("same", a.body)],
            )
        )
    for a in old_articles:
        if a.key not in new_keys:
            at = next((i for i, r in enumerate(rows) if r.old is not None and r.old.number > a.number), len(rows))
            rows.insert(at, ArticleDiff("removed", a, None, runs=[("removed", a.body)]))
    return rows


def diff_counts(rows: list[ArticleDiff]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0, "same": 0}
    for r in rows:
        counts[r.change] += 1
    return counts


# --- coverage ---------------------------------------------------------------------------------


def households_of(community_id: int) -> QuerySet[Household]:
    """The households of a community someone lives in: those that acknowledge (and vote)."""
    lived_in = Exists(Resident.objects.filter(household=OuterRef("pk"), status=Resident.Status.ACTIVE))
    return Household.objects.filter(lived_in, community_id=community_id, status=Household.Status.ACTIVE)


@dataclass
class CoverageRow:
    unit: OrgUnit
    households: int = 0
    acknowledged: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.households) if self.households else 0

    @property
    def missing(self) -> int:
        return self.households - self.acknowledged


@dataclass
class Coverage:
    total: int
    acknowledged: int
    buildings: list[CoverageRow]
    areas: list[CoverageRow]

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.total) if self.total else 0


def _acked(version: ConventionVersion) -> Exists:
    return Exists(Acknowledgement.objects.filter(version=version, household=OuterRef("pk")))


def coverage_of(version: ConventionVersion) -> Coverage:
    """Households and acknowledgements by building, and by area (a building counts in every area or grid above
    it), in three queries."""
    counts = (
        households_of(version.community_id)
        .annotate(done=_acked(version))
        .values("unit_id", "done")
        .annotate(n=Count("id"))
    )
    per_building: dict[int, list[int]] = {}
    for row in counts:
        entry = per_building.setdefault(row["unit_id"], [0, 0])
        entry[0] += row["n"]
        if row["done"]:
            entry[1] += row["n"]
    buildings = {u.pk: u for u in OrgUnit.objects.filter(pk__in=per_building)}
    areas = list(
        OrgUnit.objects.subtree_of(version.community).filter(kind__in=[UnitKind.AREA, UnitKind.GRID]).order_by("path")
    )
    building_rows = sorted(
        (CoverageRow(buildings[pk], n, done) for pk, (n, done) in per_building.items()), key=lambda r: r.unit.path
    )
    area_rows: list[CoverageRow] = []
    for area in areas:
        sums = CoverageRow(area)
        for b in building_rows:
            if b.unit.is_within(area):
                sums.households += b.households
                sums.acknowledged += b.acknowledged
        if sums.households:
            area_rows.append(sums)
    total = sum(r.households for r in building_rows)
    done = sum(r.acknowledged for r in building_rows)
    return Coverage(total, done, building_rows, area_rows)


def not_acknowledged(version: ConventionVersion, unit: OrgUnit | None = None) -> QuerySet[Household]:
    """Households that have not acknowledged ``version`` (within ``unit`` when given), by building and door: the
    list for visits."""
    qs = households_of(version.community_id).filter(~_acked(version))
    if unit is not None:
        qs = qs.filter(OrgUnit.subtree_q(unit, "unit__"))
    return qs.select_related("address__unit", "unit").order_by("unit__path", "address__door", "id")
