"""State changes of stations and spaces."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.orgs.models import OrgUnit, UnitKind
from anju.spaces.models import Space, Station


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
