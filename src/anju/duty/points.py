"""Points from outside duty and points that expire.

``points_award`` is the hook other apps call when something earns points (an accepted suggestion): idempotent on
(source, ref) — a unique key on the points ledger — so a retried job or a second click awards once.
``points_expire_year`` is the worker's yearly expiry, for communities that chose it: points earned before the year
began and not spent since expire, once per person and year (a unique reference per person and year), never
taking a balance below zero (spending since the new year counts against the old points first, and the
balance's CHECK stands behind it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.duty.models import PointsAccount, PointsEntry, PointsRule, PointsSettings, StoreItem, Volunteer

#: Sources another app may award points for, and the rule that prices each when no amount is given (None: the
#: caller always gives the amount — an honour's points are set on its campaign).
AWARDABLE: dict[str, str | None] = {
    PointsEntry.Source.SUGGESTION: PointsRule.Basis.PER_SUGGESTION,
    PointsEntry.Source.HONOUR: None,
}
MAX_AWARD = 10000
#: The yearly expiry's reference: volunteer id × this + year (unique per person and year on the ledger).
YEAR_REF = 10000


def _volunteer_for(volunteer: Volunteer | None, resident: Any) -> Volunteer | None:
    if (volunteer is None) == (resident is None):
        raise ValidationError({"__all__": [_("Name either the volunteer or the resident who earns the points.")]})
    if volunteer is not None:
        return volunteer
    return Volunteer.objects.filter(resident_id=resident.pk, community_id=resident.community_id, is_active=True).first()


def points_award(
    *,
    actor: Any,
    source: str,
    ref: int,
    volunteer: Volunteer | None = None,
    resident: Any = None,
    points: int | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> PointsEntry | None:
    """Award points for ``source`` (e.g. ``"suggestion"``) and ``ref`` (the suggestion's id) to a volunteer, or to
    the volunteer entry of a resident; the amount is the community's rule for the source unless given.

    Idempotent on (source, ref): a second call answers the entry of the first and writes nothing. Answers None
    and writes nothing when the resident is no volunteer or the rule gives no points."""
    if source not in AWARDABLE:
        raise ValidationError({"source": [_("Points cannot be awarded for this source.")]})
    if not isinstance(ref, int) or isinstance(ref, bool) or ref < 1:
        raise ValidationError({"ref": [_("Name what the points are for by its number.")]})
    if points is not None and (not isinstance(points, int) or not 0 <= points <= MAX_AWARD):
        raise ValidationError({"points": [_("Enter between 0 and %(n)d points.") % {"n": MAX_AWARD}]})
    existing = PointsEntry.objects.filter(source=source, source_ref=ref).first()
    if existing is not None:
        return existing
    target = _volunteer_for(volunteer, resident)
    if target is None:
        return None
    if points is None and AWARDABLE[source] is None:
        points = 0
    if points is None:
        rule = PointsRule.objects.filter(community_id=target.community_id, basis=AWARDABLE[source]).first()
        points = rule.points if rule is not None else 0
    if points <= 0:
        return None
    note = (note or "").strip()[:200]
    try:
        with transaction.atomic():
            entry = PointsEntry.objects.create(
                community_id=target.community_id,
                volunteer=target,
                source=source,
                source_ref=ref,
                points=points,
                note=note,
            )
            PointsAccount.objects.filter(volunteer=target).update(balance=F("balance") + points)
            record(
                Action.DUTY_POINTS_AWARDED,
                actor=actor,
                obj=target,
                request=request,
                data={"source": source, "ref": ref, "points": points, "entry": entry.pk},
            )
    except IntegrityError:  # awarded at the same moment by another call: that one stands
        return PointsEntry.objects.filter(source=source, source_ref=ref).first()
    return entry


def points_settings(community_id: int) -> PointsSettings | None:
    return PointsSettings.objects.filter(community_id=community_id).first()


def points_settings_set(
    *, actor: Any, community: Any, expire_yearly: bool, request: HttpRequest | None = None
) -> PointsSettings:
    """Whether a community's points expire yearly (points earned before a year began and unspent)."""
    with transaction.atomic():
        settings, _created = PointsSettings.objects.update_or_create(
            community_id=community.pk, defaults={"expire_yearly": bool(expire_yearly)}
        )
        record(
            Action.DUTY_POINTS_SETTINGS_SET,
            actor=actor,
            obj=settings,
            community=community,
            request=request,
            data={"expire_yearly": bool(expire_yearly)},
        )
    return settings


def year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=timezone.get_default_timezone())


def points_expire_year(*, now: datetime | None = None, batch: int = 500) -> int:
    """The worker's yearly expiry (safe to run twice or at once): in communities that chose it, each person's
    points earned before this year began and not spent since expire, in one entry per person and year."""
    now = now or timezone.now()
    year = timezone.localtime(now, timezone.get_default_timezone()).year
    start = year_start(year)
    communities = list(PointsSettings.objects.filter(expire_yearly=True).values_list("community_id", flat=True))
    rows = (
        PointsEntry.objects.filter(community_id__in=communities)
        .values("volunteer_id", "community_id")
        .annotate(
            old=Sum("points", filter=Q(created_at__lt=start)),
            spent=Sum(
                "points",
                filter=Q(created_at__gte=start, points__lt=0) & ~Q(source=PointsEntry.Source.YEAR_END),
            ),
        )
        .filter(old__gt=0)
        .order_by("volunteer_id")
    )
    done = 0
    for row in rows:
        ref = row["volunteer_id"] * YEAR_REF + year
        expire = (row["old"] or 0) + (row["spent"] or 0)  # spending since the new year takes old points first
        if expire <= 0 or PointsEntry.objects.filter(source=PointsEntry.Source.YEAR_END, source_ref=ref).exists():
            continue
        try:
            with transaction.atomic():
                account = PointsAccount.objects.select_for_update().get(volunteer_id=row["volunteer_id"])
                expire = min(expire, account.balance)
                if expire <= 0:
                    continue
                PointsEntry.objects.create(
                    community_id=row["community_id"],
                    volunteer_id=row["volunteer_id"],
                    source=PointsEntry.Source.YEAR_END,
                    source_ref=ref,
                    points=-expire,
                    note=str(year - 1),
                )
                if not PointsAccount.objects.filter(pk=account.pk, balance__gte=expire).update(
                    balance=F("balance") - expire
                ):
                    raise IntegrityError  # cannot happen under the lock; never below zero if it did
                record(
                    Action.DUTY_POINTS_EXPIRED,
                    actor=None,
                    obj=account,
                    actor_label="worker",
                    data={"year": year - 1, "points": expire},
                )
        except IntegrityError:
            continue  # another worker wrote this person's expiry
        done += 1
        if done >= batch:
            break
    return done


def item_update(
    *,
    actor: Any,
    item: StoreItem,
    name: str,
    cost: int,
    stock: int,
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> StoreItem:
    """Change a store item: its name, price, the stock counted on the shelf, whether it is on offer."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()[:60]
    if not name:
        errors["name"] = [_("Name the item.")]
    if not 1 <= int(cost) <= 100000:
        errors["cost"] = [_("Enter a price between 1 and 100000 points.")]
    if not 0 <= int(stock) <= 100000:
        errors["stock"] = [_("Enter a stock between 0 and 100000.")]
    if errors:
        raise ValidationError(errors)
    fields = {"name": name, "cost": int(cost), "stock": int(stock), "is_active": bool(is_active)}
    with transaction.atomic():
        before = StoreItem.objects.select_for_update().get(pk=item.pk)
        changed = {k: [getattr(before, k), v] for k, v in fields.items() if getattr(before, k) != v}
        StoreItem.objects.filter(pk=item.pk).update(**fields)
        record(Action.DUTY_STORE_ITEM_CHANGED, actor=actor, obj=before, request=request, data={"changed": changed})
    item.refresh_from_db()
    return item
