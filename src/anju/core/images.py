"""The shared image pipeline: real images only, bounded size and pixels, re-encoded so EXIF (and its GPS
position) and every other metadata chunk is gone. Apps (appeal photos, activity posters …) call
``clean_image`` for each uploaded file and serve the result with ``image_response``."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from anju.core.security import no_store

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class CleanImage:
    content: ContentFile[bytes]
    width: int
    height: int


def clean_image(
    f: Any, *, field: str = "image", max_bytes: int = DEFAULT_MAX_BYTES, max_side: int | None = None
) -> CleanImage:
    """Validate one uploaded file and re-encode it as a JPEG without metadata; ``max_side`` shrinks a larger
    image to fit. Raises ValidationError on ``field`` with a message in the user's language."""
    name = getattr(f, "name", None) or "image"
    size = getattr(f, "size", None)
    if size is None or size > max_bytes:
        raise ValidationError(
            {
                field: [
                    _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": max(max_bytes // (1024 * 1024), 1)}
                ]
            }
        )
    if hasattr(f, "seek"):
        f.seek(0)  # a file read before (a retried call) is read from its start
    data = f.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise UnidentifiedImageError(fmt)
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ValidationError({field: [_("%(name)s has too many pixels.") % {"name": name}]})
            img.seek(0)
            rgb = img.convert("RGB")  # drops EXIF, XMP and every other chunk
            if max_side and max(rgb.size) > max_side:
                rgb.thumbnail((max_side, max_side))
            buffer = io.BytesIO()
            rgb.save(buffer, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            {field: [_("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": name}]}
        ) from exc
    return CleanImage(ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), *rgb.size)


def image_response(field: Any) -> FileResponse:
    """Serve a stored (pipeline-made, so JPEG) image after the view has checked the reader may see it; 404 when
    the field is empty. Never cached (``private, no-store``): the image is only for readers the view let in, and a
    shared phone or a proxy must not keep it."""
    if not field:
        raise Http404
    return no_store(FileResponse(field.open("rb"), content_type="image/jpeg"))
