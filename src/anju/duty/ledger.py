"""Attendance (the door's duty QR code, or a coordinator at the desk), the append-only hours ledger, points and
the points store.

Hours come from real check-in and check-out times within the shift. The ledger takes entries only; a
correction reverses an entry with a reason (the database refuses UPDATE and DELETE, and a second reversal of
one entry). Points follow the community's rules; the balance and an item's stock are held at zero or above by
CHECK constraints, so concurrent redemptions can never overdraw."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.activities import volunteer_hours
from anju.audit.actions import Action
from anju.audit.services import record
from anju.duty.models import (
    Assignment,
    DoorCode,
    HoursEntry,
    PointsAccount,
    PointsEntry,
    PointsRule,
    Redemption,
    StoreItem,
    Volunteer,
)
from anju.spaces.models import Station

#: How early before its start one may check in, and how long after its end one may still check out.
CHECKIN_EARLY = timedelta(minutes=30)
CHECKOUT_LATE = timedelta(minutes=60)
#: Later than this after the start counts as late.
LATE_AFTER = timedelta(minutes=10)


def door_code(station: Station) -> DoorCode | None:
    """The station's duty QR code, when one was issued (a read: nothing is created)."""
    return DoorCode.objects.filter(station=station).first()


def door_code_issue(*, actor: Any, station: Station, request: HttpRequest | None = None) -> DoorCode:
    """Issue the station's duty QR code (once: asking again answers the code already issued, unchanged)."""
    with transaction.atomic():
        code, created = DoorCode.objects.get_or_create(
            station=station, defaults={"community_id": station.community_id, "token": secrets.token_urlsafe(18)}
        )
        if created:
            record(Action.DUTY_DOOR_CODE_ISSUED, actor=actor, obj=code, request=request, data={"station": station.pk})
    return code


def shift_hours(starts: datetime, ends: datetime, checked_in: datetime, checked_out: datetime) -> Decimal:
    """Hours of real presence within the shift, to a tenth."""
    a, b = max(starts, checked_in), min(ends, checked_out)
    seconds = max((b - a).total_seconds(), 0)
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _award(volunteer: Volunteer, entry: HoursEntry, *, per_shift: bool) -> int:
    """Points for an hours entry by the community's rules (inside the caller's transaction)."""
    rules = dict(PointsRule.objects.filter(community_id=volunteer.community_id).values_list("basis", "points"))
    points = int(entry.hours * rules.get(PointsRule.Basis.PER_HOUR, 0))
    if per_shift:
        points += rules.get(PointsRule.Basis.PER_SHIFT, 0)
    elif entry.source == HoursEntry.Source.ACTIVITY:
        points += rules.get(PointsRule.Basis.PER_ACTIVITY, 0)
    if points <= 0:
        return 0
    source = PointsEntry.Source.DUTY if per_shift else PointsEntry.Source.HOURS
    PointsEntry.objects.create(
        community_id=volunteer.community_id, volunteer=volunteer, source=source, source_ref=entry.pk, points=points
    )
    PointsAccount.objects.filter(volunteer=volunteer).update(balance=F("balance") + points)
    return points


def _duty_entry(a: Assignment, actor: Any) -> HoursEntry | None:
    hours = shift_hours(a.shift.starts_at, a.shift.ends_at, a.checked_in_at, a.checked_out_at)  # type: ignore[arg-type]
    if hours <= 0:
        return None
    entry = HoursEntry.objects.create(
        community_id=a.community_id,
        volunteer_id=a.volunteer_id,
        source=HoursEntry.Source.DUTY,
        category=a.shift.template.name[:40],
        source_ref=a.pk,
        day=a.shift.day,
        hours=hours,
        recorded_by=actor,
    )
    _award(a.volunteer, entry, per_shift=True)
    return entry


def door_scan(*, actor: Any, token: str, now: datetime | None = None, request: HttpRequest | None = None) -> Assignment:
    """The volunteer scanned the station's duty code: check in to their shift there (or out, when in)."""
    now = now or timezone.now()
    code = DoorCode.objects.filter(token=token).select_related("station").first()
    if code is None:
        raise ValidationError({"__all__": [_("This is not a duty code of a station.")]})
    mine = (
        Assignment.objects.filter(
            volunteer__user=actor,
            status__in=[Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED],
            shift__template__station=code.station,
            shift__starts_at__lte=now + CHECKIN_EARLY,
            shift__ends_at__gte=now - CHECKOUT_LATE,
        )
        .select_related("shift", "shift__template", "volunteer")
        .order_by("shift__starts_at")
    )
    a = next((x for x in mine if x.checked_out_at is None), None)
    if a is None:
        raise ValidationError({"__all__": [_("You have no duty shift at this station now.")]})
    if a.checked_in_at is None:
        return check_in(actor=actor, assignment=a, now=now, request=request)
    return check_out(actor=actor, assignment=a, now=now, request=request)


def check_in(
    *, actor: Any, assignment: Assignment, now: datetime | None = None, request: HttpRequest | None = None
) -> Assignment:
    """Check in to one's own shift, from half an hour before it starts until it ends."""
    now = now or timezone.now()
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("shift", "volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift: check in to your own.")]})
        if a.status not in (Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED):
            raise ValidationError({"__all__": [_("You no longer hold this seat.")]})
        if not a.shift.starts_at - CHECKIN_EARLY <= now <= a.shift.ends_at:
            raise ValidationError(
                {"__all__": [_("Check-in opens half an hour before the shift and closes at its end.")]}
            )
        if a.checked_in_at is not None:
            raise ValidationError({"__all__": [_("You are already checked in.")]})
        late = now > a.shift.starts_at + LATE_AFTER
        Assignment.objects.filter(pk=a.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, late=late, no_show=False
        )
        record(Action.DUTY_CHECKED_IN, actor=actor, obj=a, request=request, data={"late": late})
    a.refresh_from_db()
    return a


def check_out(
    *, actor: Any, assignment: Assignment, now: datetime | None = None, request: HttpRequest | None = None
) -> Assignment:
    """Check out of one's own shift; the hours within the shift go to the ledger."""
    now = now or timezone.now()
    with transaction.atomic():
        a = (
            Assignment.objects.select_for_update()
            .select_related("shift", "shift__template", "volunteer")
            .get(pk=assignment.pk)
        )
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift: check in to your own.")]})
        if a.checked_in_at is None:
            raise ValidationError({"__all__": [_("Check in first.")]})
        if a.checked_out_at is not None:
            raise ValidationError({"__all__": [_("You are already checked out.")]})
        Assignment.objects.filter(pk=a.pk, checked_out_at__isnull=True).update(checked_out_at=now)
        a.checked_out_at = now
        entry = _duty_entry(a, actor)
        record(
            Action.DUTY_CHECKED_OUT,
            actor=actor,
            obj=a,
            request=request,
            data={"hours": str(entry.hours) if entry else "0"},
        )
    a.refresh_from_db()
    return a


def attendance_mark(
    *,
    actor: Any,
    assignment: Assignment,
    checked_in_at: datetime | None,
    checked_out_at: datetime | None,
    request: HttpRequest | None = None,
) -> Assignment:
    """A coordinator records a volunteer's times at the desk (once: later corrections go through the ledger)."""
    errors: dict[str, list[str]] = {}
    if checked_in_at is None:
        errors["checked_in_at"] = [_("Enter when the volunteer arrived.")]
    if checked_in_at is not None and checked_out_at is not None and checked_out_at <= checked_in_at:
        errors["checked_out_at"] = [_("The volunteer must leave after arriving.")]
    if checked_out_at is not None and checked_out_at > timezone.now() + timedelta(minutes=5):
        errors["checked_out_at"] = [_("This time is still to come.")]
    if errors:
        raise ValidationError(errors)
    assert checked_in_at is not None  # noqa: S101  checked above
    with transaction.atomic():
        a = (
            Assignment.objects.select_for_update()
            .select_related("shift", "shift__template", "volunteer")
            .get(pk=assignment.pk)
        )
        if a.status not in (Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED):
            raise ValidationError({"__all__": [_("This volunteer no longer holds the seat.")]})
        if a.checked_out_at is not None:
            raise ValidationError({"__all__": [_("Attendance is already recorded; correct the hours in the ledger.")]})
        if not a.shift.starts_at - CHECKIN_EARLY <= checked_in_at <= a.shift.ends_at:
            raise ValidationError({"checked_in_at": [_("The arrival must fall within the shift.")]})
        late = checked_in_at > a.shift.starts_at + LATE_AFTER
        Assignment.objects.filter(pk=a.pk).update(
            checked_in_at=checked_in_at, checked_out_at=checked_out_at, late=late, no_show=False
        )
        a.checked_in_at, a.checked_out_at = checked_in_at, checked_out_at
        entry = _duty_entry(a, actor) if checked_out_at is not None else None
        record(
            Action.DUTY_ATTENDANCE_MARKED,
            actor=actor,
            obj=a,
            request=request,
            data={"late": late, "hours": str(entry.hours) if entry else None},
        )
    a.refresh_from_db()
    return a


# --- the hours ledger -----------------------------------------------------------------------------------------


def _hours_value(value: Any) -> Decimal:
    message = _("Enter the hours as a number, e.g. 2 or 1.5.")
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": [message]}) from None
    if not hours.is_finite() or hours <= 0:
        raise ValidationError({"hours": [message]})
    if hours > 24:
        raise ValidationError({"hours": [_("At most 24 hours can be recorded in one entry.")]})
    hours = hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if hours <= 0:
        raise ValidationError({"hours": [message]})
    return hours


def hours_add(
    *,
    actor: Any,
    volunteer: Volunteer,
    day: date,
    hours: Any,
    category: str,
    source: str = HoursEntry.Source.LABOUR,
    note: str = "",
    request: HttpRequest | None = None,
) -> HoursEntry:
    """A coordinator enters hours by hand (labour contributions, a correction after a reversal)."""
    value = _hours_value(hours)
    if source not in (HoursEntry.Source.LABOUR, HoursEntry.Source.DUTY):
        raise ValidationError({"source": [_("Choose where the hours come from.")]})
    if day > timezone.localdate():
        raise ValidationError({"day": [_("This date is still to come.")]})
    with transaction.atomic():
        entry = HoursEntry.objects.create(
            community_id=volunteer.community_id,
            volunteer=volunteer,
            source=source,
            category=(category or "").strip()[:40],
            day=day,
            hours=value,
            note=(note or "").strip()[:200],
            recorded_by=actor,
        )
        _award(volunteer, entry, per_shift=False)
        record(
            Action.DUTY_HOURS_ADDED,
            actor=actor,
            obj=volunteer,
            request=request,
            data={"entry": entry.pk, "hours": str(value)},
        )
    return entry


def hours_reverse(*, actor: Any, entry: HoursEntry, reason: str, request: HttpRequest | None = None) -> HoursEntry:
    """Cancel an entry with a reversing one (negative hours, the reason); points it earned are taken back as
    far as the balance allows."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationError({"reason": [_("Say why the entry is reversed.")]})
    if entry.source == HoursEntry.Source.REVERSAL:
        raise ValidationError({"__all__": [_("A reversal cannot be reversed; enter the hours again instead.")]})
    try:
        with transaction.atomic():
            if HoursEntry.objects.filter(reverses=entry).exists():
                raise ValidationError({"__all__": [_("This entry is already reversed.")]})
            rev = HoursEntry.objects.create(
                community_id=entry.community_id,
                volunteer_id=entry.volunteer_id,
                source=HoursEntry.Source.REVERSAL,
                category=entry.category,
                day=entry.day,
                hours=-entry.hours,
                note=reason,
                reverses=entry,
                recorded_by=actor,
            )
            earned = (
                PointsEntry.objects.filter(
                    source__in=[PointsEntry.Source.DUTY, PointsEntry.Source.HOURS, PointsEntry.Source.ACTIVITY],
                    source_ref=entry.pk,
                ).aggregate(n=Sum("points"))["n"]
                or 0
            )
            if earned > 0:
                account = PointsAccount.objects.select_for_update().get(volunteer_id=entry.volunteer_id)
                back = min(earned, account.balance)
                if back:
                    PointsEntry.objects.create(
                        community_id=entry.community_id,
                        volunteer_id=entry.volunteer_id,
                        source=PointsEntry.Source.EXPIRY,
                        points=-back,
                        note=reason,
                    )
                    PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") - back)
            record(
                Action.DUTY_HOURS_REVERSED,
                actor=actor,
                obj=entry.volunteer,
                request=request,
                data={"entry": entry.pk, "reversal": rev.pk, "reason": reason},
            )
    except IntegrityError:
        raise ValidationError({"__all__": [_("This entry is already reversed.")]}) from None
    return rev


def activity_hours_import(*, community: Any = None, batch: int = 500) -> int:
    """Hours recorded for activity helpers (accounts that are volunteers of the community) enter the ledger
    once each (the worker; a unique key on the source makes a second run a no-op)."""
    done = 0
    seen = set(HoursEntry.objects.filter(source=HoursEntry.Source.ACTIVITY).values_list("source_ref", flat=True))
    volunteers = {(v.community_id, v.user_id): v for v in Volunteer.objects.filter(is_active=True)}
    for helper in volunteer_hours.helpers_for_ledger(community=community):
        if helper.pk in seen or helper.user_id is None:
            continue
        v = volunteers.get((helper.community_id, helper.user_id))
        if v is None:
            continue
        try:
            with transaction.atomic():
                entry = HoursEntry.objects.create(
                    community_id=v.community_id,
                    volunteer=v,
                    source=HoursEntry.Source.ACTIVITY,
                    category=helper.activity.title[:40],
                    source_ref=helper.pk,
                    day=timezone.localtime(helper.session.starts_at if helper.session else helper.created_at).date(),
                    hours=helper.hours,
                    note=helper.task[:200],
                    recorded_by_id=helper.recorded_by_id,
                )
                _award(v, entry, per_shift=False)
                record(
                    Action.DUTY_HOURS_ADDED,
                    actor=None,
                    obj=v,
                    actor_label="worker",
                    data={"entry": entry.pk, "helper": helper.pk},
                )
        except IntegrityError:
            continue  # another worker took it
        done += 1
        if done >= batch:
            break
    return done


# --- points and the store -------------------------------------------------------------------------------------


def points_rule_set(
    *, actor: Any, community: Any, basis: str, points: int, request: HttpRequest | None = None
) -> PointsRule:
    if basis not in PointsRule.Basis.values:
        raise ValidationError({"basis": [_("Choose what the points are for.")]})
    if not 0 <= int(points) <= 1000:
        raise ValidationError({"points": [_("Enter between 0 and 1000 points.")]})
    with transaction.atomic():
        rule, _c = PointsRule.objects.update_or_create(
            community_id=community.pk, basis=basis, defaults={"points": int(points)}
        )
        record(
            Action.DUTY_POINTS_RULE_SET,
            actor=actor,
            obj=rule,
            request=request,
            data={"basis": basis, "points": int(points)},
        )
    return rule


def item_add(
    *, actor: Any, community: Any, name: str, cost: int, stock: int, request: HttpRequest | None = None
) -> StoreItem:
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
    with transaction.atomic():
        item = StoreItem.objects.create(community_id=community.pk, name=name, cost=int(cost), stock=int(stock))
        record(
            Action.DUTY_STORE_ITEM_ADDED,
            actor=actor,
            obj=item,
            request=request,
            data={"name": name, "cost": int(cost), "stock": int(stock)},
        )
    return item


def redeem(*, actor: Any, code: str, item: StoreItem, request: HttpRequest | None = None) -> Redemption:
    """At the counter: the volunteer's code is scanned and one item is taken. The balance and the stock are
    held at zero or above by the database whatever runs at once."""
    volunteer = Volunteer.objects.filter(code=(code or "").strip().upper(), community_id=item.community_id).first()
    if volunteer is None:
        raise ValidationError({"code": [_("No volunteer of this community has this code.")]})
    if not item.is_active:
        raise ValidationError({"item": [_("This item is not on offer.")]})
    poor = ValidationError(
        {"__all__": [_("Not enough points: %(name)s has fewer than %(n)d.") % {"name": volunteer.name, "n": item.cost}]}
    )
    gone = ValidationError({"__all__": [_("%(item)s is out of stock.") % {"item": item.name}]})
    try:
        with transaction.atomic():
            with transaction.atomic():
                if not PointsAccount.objects.filter(volunteer=volunteer, balance__gte=item.cost).update(
                    balance=F("balance") - item.cost
                ):
                    raise poor
            with transaction.atomic():
                if not StoreItem.objects.filter(pk=item.pk, stock__gte=1).update(stock=F("stock") - 1):
                    raise gone
            redemption = Redemption.objects.create(
                community_id=item.community_id, volunteer=volunteer, item=item, points=item.cost, served_by=actor
            )
            PointsEntry.objects.create(
                community_id=item.community_id,
                volunteer=volunteer,
                source=PointsEntry.Source.REDEMPTION,
                source_ref=redemption.pk,
                points=-item.cost,
                note=item.name,
            )
            record(
                Action.DUTY_REDEEMED,
                actor=actor,
                obj=redemption,
                request=request,
                data={"item": item.pk, "points": item.cost},
            )
    except IntegrityError:
        # The CHECK constraints caught what a concurrent redemption left: nothing was written.
        raise poor from None
    return redemption
