"""Appeal photos: up to nine per upload, each through the shared image pipeline (``core.images``): real
images only, bounded size, re-encoded so EXIF (and its GPS position) is gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from anju.core.images import ALLOWED_FORMATS, MAX_PIXELS, clean_image
from anju.core.images import CleanImage as CleanPhoto

__all__ = ["ALLOWED_FORMATS", "MAX_PHOTOS", "MAX_PIXELS", "CleanPhoto", "clean_photos", "max_bytes"]

MAX_PHOTOS = 9


def max_bytes() -> int:
    return int(getattr(settings, "ANJU_APPEAL_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def clean_photos(files: Sequence[Any]) -> list[CleanPhoto]:
    """Validate every file first (all or nothing), then re-encode each as a JPEG without metadata."""
    files = [f for f in files if f]
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS}]})
    limit = max_bytes()
    return [clean_image(f, field="photos", max_bytes=limit) for f in files]
