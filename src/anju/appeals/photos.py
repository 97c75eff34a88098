"""Photo checks: real images only, bounded size, re-encoded so EXIF (and its GPS position) is gone."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_PHOTOS = 9
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_PIXELS = 40_000_000


def max_bytes() -> int:
    return int(getattr(settings, "ANJU_APPEAL_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


@dataclass
class CleanPhoto:
    content: ContentFile[bytes]
    width: int
    height: int


def clean_photos(files: Sequence[Any]) -> list[CleanPhoto]:
    """Validate every file first (all or nothing), then re-encode each as a JPEG without metadata."""
    files = [f for f in files if f]
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS}]})
    out = []
    limit = max_bytes()
    for f in files:
        name = getattr(f, "name", "photo")
        size = getattr(f, "size", None)
        if size is None or size > limit:
            raise ValidationError(
                {"photos": [_("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // (1024 * 1024)}]}
            )
        data = f.read()
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                probe.verify()
            if fmt not in ALLOWED_FORMATS:
                raise UnidentifiedImageError(fmt)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ValidationError({"photos": [_("%(name)s has too many pixels.") % {"name": name}]})
                img.seek(0)
                rgb = img.convert("RGB")  # drops EXIF, XMP and every other chunk
                buffer = io.BytesIO()
                rgb.save(buffer, format="JPEG", quality=85)
                out.append(CleanPhoto(ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), *rgb.size))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ValidationError(
                {"photos": [_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name}]}
            ) from exc
    return out
