"""Drawn demo pictures (posters, covers): fictional scenes, no real place or person, for ``anju demo`` loaders."""

from __future__ import annotations

import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

PALETTES = [
    ((255, 236, 210), (214, 69, 65), (246, 178, 60)),
    ((222, 240, 255), (31, 106, 165), (120, 190, 120)),
    ((235, 248, 230), (60, 140, 80), (250, 210, 90)),
    ((250, 235, 245), (170, 60, 120), (90, 150, 210)),
]


def demo_picture(seed: int, name: str = "picture.png", size: tuple[int, int] = (1200, 800)) -> ContentFile[bytes]:
    """A simple, deterministic picture (sky, ground, a building, some figures) as a PNG upload."""
    rng = random.Random(seed)  # noqa: S311  pictures, not security
    sky, accent, other = PALETTES[seed % len(PALETTES)]
    w, h = size
    img = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, int(h * 0.7), w, h], fill=(200, 190, 170))
    left = int(w * 0.1)
    draw.rectangle([left, int(h * 0.3), left + int(w * 0.35), int(h * 0.7)], fill=accent)
    for row in range(3):
        for col in range(3):
            x = left + int(w * 0.03) + col * int(w * 0.11)
            y = int(h * 0.35) + row * int(h * 0.11)
            draw.rectangle([x, y, x + int(w * 0.06), y + int(h * 0.06)], fill=(255, 250, 220))
    draw.ellipse([int(w * 0.8), int(h * 0.06), int(w * 0.92), int(h * 0.06) + int(w * 0.12)], fill=(255, 210, 80))
    for _ in range(6):
        x = rng.randint(int(w * 0.5), int(w * 0.95))
        r = max(int(h * 0.035), 4)
        y = int(h * 0.62)
        draw.ellipse([x - r, y - 3 * r, x + r, y - r], fill=(240, 200, 170))
        draw.rectangle([x - r, y - r, x + r, y + 2 * r], fill=other)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)
