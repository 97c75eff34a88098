"""State changes of stations and spaces set up by staff: creating them, a space's details and booking rules,
bookable hours, closed periods and photos. Each validates everything first, then writes in one transaction with one
audit row; bad input raises ValidationError keyed by field and writes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.core.images import clean_image
from anju.orgs.models import OrgUnit, UnitKind
from anju.spaces.models import ClosedPeriod, OpeningHours, Space, SpacePhoto, Station
from anju.spaces.rules import check_aware

MAX_PHOTOS = 12
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDE = 2000
MAX_BOOKING_MINUTES = 24 * 60
MAX_DAYS_AHEAD = 366

# What the edit page changes: the details, then the booking rules.
DETAIL_FIELDS = ("name", "kind", "capacity", "area_m2", "description", "equipment", "key_location", "is_active")
EDIT_RULES = (
    "bookable_by",
    "requires_approval",
    "min_minutes",
    "max_minutes",
    "max_days_ahead",
    "weekly_limit",
    "closed_on_holidays",
    "checkin_grace_minutes",
    "no_show_limit",
)
EDIT_FIELDS = DETAIL_FIELDS + EDIT_RULES
BOOL_FIELDS = ("is_active", "requires_approval", "closed_on_holidays")
INT_FIELDS = (
    "capacity",
    "area_m2",
    "min_minutes",
    "max_minutes",
    "max_days_ahead",
    "weekly_limit",
    "checkin_grace_minutes",
    "no_show_limit",
)

Hours = list[tuple[int, time, time]]


# --- stations and spaces: creation, hours, rules, closures --------------------------------


def station_create(*, actor: Any, community: OrgUnit, name: str, **fields: Any) -> Station:
    name = (name or "").strip()
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("A station belongs to a community.")]})
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    with transaction.atomic():
        station = Station.objects.create(community=community, name=name, **fields)
        record(Action.STATION_CREATED, actor=actor, obj=station, data={"name": name})
    return station


def space_create(
    *, actor: Any, station: Station, name: str, kind: str, capacity: int, part_of: Space | None = None, **fields: Any
) -> Space:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a name.")]
    if kind not in Space.Kind.values:
        errors["kind"] = [_("Choose a valid kind of space.")]
    if capacity < 1:
        errors["capacity"] = [_("Capacity is at least 1.")]
    if part_of is not None and part_of.station_id != station.pk:
        errors["part_of"] = [_("A space can only be part of a space of the same station.")]
    if Space.objects.filter(station=station, name=name).exists():
        errors["name"] = [_("The station already has a space with this name.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        space = Space.objects.create(
            community=station.community,
            station=station,
            name=name,
            kind=kind,
            capacity=capacity,
            part_of=part_of,
            **fields,
        )
        record(Action.SPACE_CREATED, actor=actor, obj=space, data={"name": name, "kind": kind})
    return space


def space_set_hours(
    *, actor: Any, space: Space, hours: Iterable[tuple[int, time, time]], request: HttpRequest | None = None
) -> None:
    """Replace the bookable hours of a space: (weekday 0=Monday, opens, closes) rows."""
    rows = list(hours)
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise ValidationError({"hours": [_("Each row needs a weekday and a closing time after the opening time.")]})
    with transaction.atomic():
        OpeningHours.objects.filter(space=space).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(community_id=space.community_id, space=space, weekday=w, opens=o, closes=c) for w, o, c in rows
        )
        record(
            Action.SPACE_RULES_CHANGED,
            actor=actor,
            obj=space,
            request=request,
            data={"hours": [[w, o.isoformat(), c.isoformat()] for w, o, c in rows]},
        )


RULE_FIELDS = (
    "min_minutes",
    "max_minutes",
    "max_days_ahead",
    "weekly_limit",
    "requires_approval",
    "closed_on_holidays",
    "checkin_grace_minutes",
    "no_show_limit",
    "bookable_by",
    "equipment",
    "key_location",
    "area_m2",
)


def space_set_rules(*, actor: Any, space: Space, request: HttpRequest | None = None, **rules: Any) -> Space:
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown space rules {sorted(unknown)}")
    merged = {name: rules.get(name, getattr(space, name)) for name in RULE_FIELDS}
    if merged["min_minutes"] < 1 or merged["max_minutes"] < merged["min_minutes"]:
        raise ValidationError({"max_minutes": [_("The longest booking must be at least the shortest one.")]})
    if merged["bookable_by"] not in Space.Audience.values:
        raise ValidationError({"bookable_by": [_("Choose who may book.")]})
    with transaction.atomic():
        before = {name: _json(getattr(space, name)) for name in rules}
        for name, value in rules.items():
            setattr(space, name, value)
        space.save(update_fields=list(rules))
        data = {"changed": diff(before, {name: _json(value) for name, value in rules.items()})}
        record(Action.SPACE_RULES_CHANGED, actor=actor, obj=space, request=request, data=data)
    return space


def closed_period_add(
    *,
    actor: Any,
    station: Station,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    space: Space | None = None,
    request: HttpRequest | None = None,
) -> ClosedPeriod:
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the space is closed.")]
    check_aware(errors, starts_at, ends_at)
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if space is not None and space.station_id != station.pk:
        errors["space"] = [_("Choose a space of this station.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        period = ClosedPeriod.objects.create(
            community_id=station.community_id,
            station=station,
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason[:200],
        )
        record(
            Action.SPACE_CLOSED,
            actor=actor,
            obj=space or station,
            request=request,
            data={"from": starts_at.isoformat(), "until": ends_at.isoformat(), "reason": reason},
        )
    return period


# --- the edit page: details, rules and hours at once; photos; removing a closure ----------


def _int_errors(merged: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for name in INT_FIELDS:
        value = merged[name]
        if name == "area_m2" and value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = [_("Enter a whole number, 0 or more.")]


def space_errors(space: Space, merged: dict[str, Any]) -> dict[str, list[str]]:
    """Why the details and rules ``merged`` (every field of :data:`EDIT_FIELDS`) are refused for ``space``."""
    errors: dict[str, list[str]] = {}
    _int_errors(merged, errors)
    for flag in BOOL_FIELDS:
        if not isinstance(merged[flag], bool):
            errors[flag] = [_("Choose yes or no.")]
    name = (merged["name"] or "").strip()
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif Space.objects.filter(station_id=space.station_id, name=name).exclude(pk=space.pk).exists():
        errors["name"] = [_("The station already has a space with this name.")]
    if merged["kind"] not in Space.Kind.values:
        errors["kind"] = [_("Choose a valid kind of space.")]
    if merged["bookable_by"] not in Space.Audience.values:
        errors["bookable_by"] = [_("Choose who may book.")]
    if errors:
        return errors
    if merged["capacity"] < 1:
        errors["capacity"] = [_("Capacity is at least 1.")]
    if merged["min_minutes"] < 1:
        errors["min_minutes"] = [_("The shortest booking is at least 1 minute.")]
    elif merged["max_minutes"] < merged["min_minutes"]:
        errors["max_minutes"] = [_("The longest booking must be at least the shortest one.")]
    elif merged["max_minutes"] > MAX_BOOKING_MINUTES:
        errors["max_minutes"] = [_("A booking lasts at most %(n)d minutes (one day).") % {"n": MAX_BOOKING_MINUTES}]
    if not 1 <= merged["max_days_ahead"] <= MAX_DAYS_AHEAD:
        errors["max_days_ahead"] = [
            _("Bookings open between 1 and %(n)d days ahead.") % {"n": MAX_DAYS_AHEAD},
        ]
    if merged["checkin_grace_minutes"] > merged["max_minutes"]:
        errors["checkin_grace_minutes"] = [_("The check-in grace period cannot be longer than the longest booking.")]
    return errors


def hours_errors(rows: Hours) -> list[str]:
    """Why bookable hours (weekday 0 = Monday, opens, closes) are refused: each span must end after it
    starts, spans of one weekday must not overlap, and at least one weekday must be bookable."""
    errors = []
    names = weekday_names()
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6:
            errors.append(_("Choose a weekday."))
            continue
        if opens.tzinfo is not None or closes.tzinfo is not None:
            errors.append(_("Give bookable hours as local times without a time zone, e.g. 08:30."))
            continue
        if closes <= opens:
            errors.append(
                _("%(day)s: %(opens)s–%(closes)s ends before it starts.")
                % {"day": names[weekday], "opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}
            )
        by_day.setdefault(weekday, []).append((opens, closes))
    for weekday, spans in sorted(by_day.items()):
        spans.sort()
        if any(spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)):
            errors.append(_("%(day)s: the time spans overlap.") % {"day": names[weekday]})
    if not rows:
        errors.append(_("Give the bookable hours of at least one weekday."))
    return errors


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def space_update(
    *,
    actor: Any,
    space: Space,
    hours: Iterable[tuple[int, time, time]] | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Space:
    """Change a space's details and booking rules (``fields`` among :data:`EDIT_FIELDS`) and, when given,
    replace its bookable hours; one audit row lists what changed. Existing bookings stay as they are."""
    unknown = set(fields) - set(EDIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown space fields {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()[:100]
    for name in ("description", "equipment", "key_location"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if len(fields.get("key_location", "")) > 200:
        raise ValidationError({"key_location": [_("At most 200 characters.")]})
    merged = {name: fields.get(name, getattr(space, name)) for name in EDIT_FIELDS}
    errors = space_errors(space, merged)
    rows = list(hours) if hours is not None else None
    if rows is not None:
        problems = hours_errors(rows)
        if problems:
            errors["hours"] = problems
    if errors:
        raise ValidationError(errors)
    changed = {name: value for name, value in fields.items() if getattr(space, name) != value}
    with transaction.atomic():
        data: dict[str, Any] = {
            "changed": {name: [_json(getattr(space, name)), _json(value)] for name, value in changed.items()}
        }
        for name, value in changed.items():
            setattr(space, name, value)
        if changed:
            space.save(update_fields=list(changed))
        if rows is not None:
            old = sorted(OpeningHours.objects.filter(space=space).values_list("weekday", "opens", "closes"))
            if old != sorted(rows):
                OpeningHours.objects.filter(space=space).delete()
                OpeningHours.objects.bulk_create(
                    OpeningHours(community_id=space.community_id, space=space, weekday=w, opens=o, closes=c)
                    for w, o, c in sorted(rows)
                )
                data["hours"] = [[w, o.isoformat("minutes"), c.isoformat("minutes")] for w, o, c in sorted(rows)]
        record(Action.SPACE_UPDATED, actor=actor, obj=space, request=request, data=data)
    return space


def _json(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def closed_period_remove(*, actor: Any, period: ClosedPeriod, request: HttpRequest | None = None) -> None:
    """Take back a closed period (e.g. maintenance called off): the space is bookable then again."""
    with transaction.atomic():
        data = {
            "from": period.starts_at.isoformat(),
            "until": period.ends_at.isoformat(),
            "reason": period.reason,
            "whole_station": period.space_id is None,
        }
        target = period.space or period.station
        period.delete()
        record(Action.SPACE_REOPENED, actor=actor, obj=target, request=request, data=data)


def space_photo_add(
    *, actor: Any, space: Space, files: Sequence[Any], caption: str = "", request: HttpRequest | None = None
) -> list[SpacePhoto]:
    """Add photos of a space through the shared image pipeline (real images only, bounded size, re-encoded
    without EXIF). All or nothing: one bad file refuses the whole upload."""
    files = [f for f in files if f]
    caption = (caption or "").strip()
    if not files:
        raise ValidationError({"photos": [_("Choose at least one photo.")]})
    have = SpacePhoto.objects.filter(space=space).count()
    if have + len(files) > MAX_PHOTOS:
        raise ValidationError(
            {
                "photos": [
                    _("A space has at most %(n)d photos; it has %(have)d.") % {"n": MAX_PHOTOS, "have": have},
                ]
            }
        )
    if len(caption) > 200:
        raise ValidationError({"caption": [_("At most 200 characters.")]})
    cleaned = [clean_image(f, field="photos", max_bytes=PHOTO_MAX_BYTES, max_side=PHOTO_MAX_SIDE) for f in files]
    with transaction.atomic():
        photos = [
            SpacePhoto.objects.create(
                community_id=space.community_id,
                space=space,
                image=photo.content,
                caption=caption,
                width=photo.width,
                height=photo.height,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            for photo in cleaned
        ]
        record(
            Action.SPACE_PHOTO_ADDED,
            actor=actor,
            obj=space,
            request=request,
            data={"photos": [p.pk for p in photos], "caption": caption},
        )
    return photos


def space_photo_remove(*, actor: Any, photo: SpacePhoto, request: HttpRequest | None = None) -> None:
    """Remove a photo; its file is deleted once the removal is committed."""
    storage, name = photo.image.storage, photo.image.name
    with transaction.atomic():
        space = photo.space
        pk = photo.pk
        photo.delete()
        record(Action.SPACE_PHOTO_REMOVED, actor=actor, obj=space, request=request, data={"photo": pk})
        transaction.on_commit(lambda: storage.delete(name))
