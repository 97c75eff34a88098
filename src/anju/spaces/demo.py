"""Demo rules and photos of the station's spaces (called from ``anju demo``); idempotent. The photos are
drawn with Pillow: fictional scenes, no real place or person."""

from __future__ import annotations

import io
import random
from datetime import time
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from anju.core.registry import Demo
from anju.spaces import services
from anju.spaces.models import OpeningHours, Space, SpacePhoto, Station

STATION_SPACES: list[tuple[str, str, int, str, str]] = [
    # name, kind, capacity, bookable_by, part_of
    ("党员活动室", Space.Kind.ROOM, 30, Space.Audience.GROUPS, ""),
    ("矛盾纠纷调解室", Space.Kind.ROOM, 8, Space.Audience.STAFF, ""),
    ("儿童学习区", Space.Kind.ROOM, 20, Space.Audience.RESIDENTS, ""),
    ("共享客厅", Space.Kind.ROOM, 40, Space.Audience.RESIDENTS, ""),
    ("阅览室", Space.Kind.ROOM, 16, Space.Audience.RESIDENTS, "共享客厅"),
    ("便民休闲区", Space.Kind.ROOM, 20, Space.Audience.RESIDENTS, "共享客厅"),
    ("共享厨房", Space.Kind.ROOM, 12, Space.Audience.RESIDENTS, ""),
    ("共享花园", Space.Kind.OUTDOOR, 30, Space.Audience.RESIDENTS, ""),
    ("共享农场", Space.Kind.OUTDOOR, 20, Space.Audience.RESIDENTS, ""),
    ("共享果园", Space.Kind.OUTDOOR, 20, Space.Audience.RESIDENTS, ""),
    ("议事亭", Space.Kind.OUTDOOR, 25, Space.Audience.RESIDENTS, ""),
]

ROOM_HOURS = (time(8, 30), time(20, 30))
OUTDOOR_HOURS = (time(6, 0), time(20, 0))

# name: rules (only what differs from the defaults)
RULES: dict[str, dict[str, Any]] = {
    "党员活动室": {"requires_approval": True, "max_minutes": 240, "equipment": "投影仪、音响、30把椅子"},
    "矛盾纠纷调解室": {"requires_approval": False, "max_minutes": 180, "key_location": "值班室"},
    "儿童学习区": {"max_minutes": 180, "weekly_limit": 3},
    "共享客厅": {"requires_approval": True, "max_minutes": 240, "closed_on_holidays": True},
    "阅览室": {"max_minutes": 180, "closed_on_holidays": True},
    "便民休闲区": {"max_minutes": 180, "closed_on_holidays": True},
    "共享厨房": {
        "max_minutes": 180,
        "weekly_limit": 2,
        "equipment": "燃气灶、冰箱、烤箱、餐具12套",
        "key_location": "值班室",
    },
    "共享花园": {"max_minutes": 240},
    "共享农场": {"max_minutes": 240, "weekly_limit": 2},
    "共享果园": {"max_minutes": 240, "weekly_limit": 2},
    "议事亭": {"max_minutes": 180},
}


def load_demo_spaces(*, station: Station, actor: Any = None) -> None:
    for space in station.spaces.all():
        if OpeningHours.objects.filter(space=space).exists():
            continue  # already set up (the demo runs twice without changes)
        opens, closes = OUTDOOR_HOURS if space.kind == Space.Kind.OUTDOOR else ROOM_HOURS
        services.space_set_hours(actor=actor, space=space, hours=[(d, opens, closes) for d in range(7)])
        rules = RULES.get(space.name)
        if rules:
            services.space_set_rules(actor=actor, space=space, **rules)

    for name, pictures in PHOTOS.items():
        pictured = station.spaces.filter(name=name).first()
        if pictured is None or SpacePhoto.objects.filter(space=pictured).exists():
            continue
        files = [_picture(kind, seed, f"{kind}-{seed}.png") for kind, seed in pictures]
        services.space_photo_add(actor=actor, space=pictured, files=files, caption=CAPTIONS[name])


# space name: the pictures drawn for it (scene, seed)
PHOTOS: dict[str, list[tuple[str, int]]] = {
    "共享花园": [("garden", 1), ("garden", 2)],
    "阅览室": [("room", 3)],
    "党员活动室": [("room", 4), ("room", 5)],
    "议事亭": [("garden", 6)],
}
CAPTIONS = {"共享花园": "花园一角", "阅览室": "阅览室一角", "党员活动室": "活动室全景", "议事亭": "议事亭"}


def _picture(kind: str, seed: int, name: str, size: tuple[int, int] = (960, 640)) -> ContentFile[bytes]:
    """A deterministic drawing: a garden (sky, lawn, trees, flowers) or a room (wall, floor, window, a table
    with chairs)."""
    rng = random.Random(seed)  # noqa: S311  pictures, not security
    w, h = size
    if kind == "garden":
        img = Image.new("RGB", size, (205, 230, 250))
        draw = ImageDraw.Draw(img)
        draw.rectangle([0, int(h * 0.6), w, h], fill=(120, 180, 90))
        draw.ellipse([int(w * 0.82), int(h * 0.08), int(w * 0.94), int(h * 0.08) + int(w * 0.12)], fill=(255, 215, 90))
        for _ in range(4):
            x = rng.randint(int(w * 0.05), int(w * 0.75))
            draw.rectangle([x - 8, int(h * 0.42), x + 8, int(h * 0.65)], fill=(120, 80, 50))
            draw.ellipse([x - 60, int(h * 0.22), x + 60, int(h * 0.47)], fill=(60, 130, 70))
        for _ in range(40):
            x, y = rng.randint(0, w), rng.randint(int(h * 0.7), h - 10)
            colour = rng.choice([(230, 80, 90), (250, 200, 60), (240, 240, 240), (180, 110, 200)])
            draw.ellipse([x - 7, y - 7, x + 7, y + 7], fill=colour)
    else:
        img = Image.new("RGB", size, (245, 238, 225))
        draw = ImageDraw.Draw(img)
        draw.rectangle([0, int(h * 0.68), w, h], fill=(190, 150, 110))
        draw.rectangle([int(w * 0.6), int(h * 0.12), int(w * 0.9), int(h * 0.45)], fill=(190, 225, 250))
        draw.line([int(w * 0.75), int(h * 0.12), int(w * 0.75), int(h * 0.45)], fill=(255, 255, 255), width=6)
        accent = rng.choice([(200, 60, 50), (40, 110, 160), (70, 140, 90)])
        draw.rectangle([int(w * 0.15), int(h * 0.55), int(w * 0.55), int(h * 0.62)], fill=(140, 95, 60))
        for leg in (0.17, 0.52):
            draw.rectangle([int(w * leg), int(h * 0.62), int(w * leg) + 10, int(h * 0.8)], fill=(110, 75, 45))
        for i in range(4):
            x = int(w * 0.12) + i * int(w * 0.12)
            draw.rectangle([x, int(h * 0.66), x + int(w * 0.06), int(h * 0.84)], fill=accent)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)


def load(demo: Demo) -> Station:
    """``anju demo``'s spaces: the community's station, its rooms and outdoor areas, their hours, rules and
    photos. Returns the station."""
    station = Station.objects.filter(community=demo.units["community"]).first()
    if station is None:
        station = services.station_create(
            actor=None,
            community=demo.units["community"],
            name="安居社区党群服务站",
            address="原种场片区中心",
            floor_area_m2=200,
            opening_hours="08:30–20:30",
        )
    by_name = {s.name: s for s in station.spaces.all()}
    for space_name, space_kind, capacity, audience, part_of in STATION_SPACES:
        if space_name not in by_name:
            by_name[space_name] = services.space_create(
                actor=None,
                station=station,
                name=space_name,
                kind=space_kind,
                capacity=capacity,
                bookable_by=audience,
                part_of=by_name.get(part_of) if part_of else None,
            )

    load_demo_spaces(station=station, actor=None)
    return station
