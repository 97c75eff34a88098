"""Publishing and reading notices. The body is sanitised with nh3 on the way in: no scripts, no event
handlers, no iframes (nor any other tag outside a small allow-list), no javascript: links, no image the station
does not host itself (an outside ``<img>`` is a tracking pixel: it tells a third party who read the notice and
when), and every link opens without referrer or endorsement (``rel="noopener noreferrer nofollow"``). Cover images and
photos go through the shared image pipeline (``core.images``): real images only, bounded size, re-encoded
without EXIF."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.activities.models import Activity
from anju.audit.actions import Action
from anju.audit.services import record
from anju.bulletin.models import Notice, NoticePhoto, NoticeRead
from anju.core.images import CleanImage, clean_image
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
    "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "hr", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan"}}


LINK_REL = "noopener noreferrer nofollow"
# The images the station serves itself: a notice's cover and photos (``bulletin`` URLs) and its media files.
_HOSTED_IMAGE = re.compile(r"/notices/\d+/(?:cover|photos/\d+)/(?:thumb/)?")
_MEDIA_PATH = re.compile(r"[A-Za-z0-9_./-]+")
# nh3 writes a normalised fragment: an <img> whose src was dropped comes out as ``<img ...>`` with no src.
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def station_hosted(src: str) -> bool:
    """Whether an image address points at the station itself: a path (not ``//host``, not a scheme, so no
    ``https:`` and no ``data:``) to a notice image or under the media URL, without ``..`` or a query."""
    if not src.startswith("/") or src.startswith("//") or ".." in src:
        return False
    if _HOSTED_IMAGE.fullmatch(src):
        return True
    media = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else f"/{settings.MEDIA_URL}"
    return src.startswith(media) and bool(_MEDIA_PATH.fullmatch(src.removeprefix(media)))


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if station_hosted(value) else None
    return value


def sanitise(html: str) -> str:
    clean = nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
    )
    return _IMG_WITHOUT_SRC.sub("", clean)  # an outside image is dropped whole, not left as an empty box


IMAGE_MAX_SIDE = 1600  # enough for a phone held sideways and a desktop column
THUMB_MAX_SIDE = 480
MAX_PHOTOS = 9


def image_max_bytes() -> int:
    return int(getattr(settings, "ANJU_NOTICE_IMAGE_MAX_BYTES", 10 * 1024 * 1024))


@dataclass
class CleanPicture:
    full: CleanImage
    thumb: CleanImage


def clean_picture(f: Any, *, field: str) -> CleanPicture:
    """One uploaded image, validated and re-encoded without metadata, plus a small copy for lists."""
    full = clean_image(f, field=field, max_bytes=image_max_bytes(), max_side=IMAGE_MAX_SIDE)
    data = full.content.read()
    full.content.seek(0)
    thumb = clean_image(
        ContentFile(data, name="thumb.jpg"), field=field, max_bytes=len(data) + 1, max_side=THUMB_MAX_SIDE
    )
    return CleanPicture(full, thumb)


def _check(
    *,
    community: OrgUnit,
    title: str,
    body: str,
    category: str,
    publish_at: datetime,
    expires_at: datetime | None,
    audience: str,
    area: OrgUnit | None,
    tag: Tag | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {
        name: [_("Give the time with its time zone, e.g. %(example)s.") % {"example": "2026-12-05T14:00+08:00"}]
        for name, value in (("publish_at", publish_at), ("expires_at", expires_at))
        if value is not None and timezone.is_naive(value)
    }
    if errors:  # a naive time cannot be compared with the others
        return errors
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("A notice belongs to a community.")]
    if not title:
        errors["title"] = [_("Enter a title.")]
    if not body.strip():
        errors["body"] = [_("Write the text of the notice.")]
    if category not in Notice.Category.values:
        errors["category"] = [_("Choose a valid category.")]
    if expires_at is not None and expires_at <= publish_at:
        errors["expires_at"] = [_("The notice must expire after it is published.")]
    if audience == Notice.Audience.AREA and (area is None or not area.is_within(community)):
        errors["area"] = [_("Choose an area of the community.")]
    if audience == Notice.Audience.TAG and (tag is None or tag.community_id != community.pk):
        errors["tag"] = [_("Choose a tag of the community.")]
    if audience not in Notice.Audience.values:
        errors["audience"] = [_("Choose a valid audience.")]
    return errors


def _cover_or_errors(cover: Any, errors: dict[str, list[str]]) -> CleanPicture | None:
    if not cover:
        return None
    try:
        return clean_picture(cover, field="cover")
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _validated(
    *,
    community: OrgUnit,
    title: str,
    body: str,
    category: str,
    publish_at: datetime,
    expires_at: datetime | None,
    audience: str,
    area: OrgUnit | None,
    tag: Tag | None,
    cover: Any,
) -> tuple[str, str, CleanPicture | None]:
    """The stripped title, the sanitised body and the cleaned cover of a notice; every error at once."""
    title = (title or "").strip()
    clean = sanitise(body)
    errors = _check(
        community=community,
        title=title,
        body=clean,
        category=category,
        publish_at=publish_at,
        expires_at=expires_at,
        audience=audience,
        area=area,
        tag=tag,
    )
    picture = _cover_or_errors(cover, errors)
    if errors:
        raise ValidationError(errors)
    return title, clean, picture


def notice_create(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    body: str,
    category: str = Notice.Category.NOTICE,
    pinned: bool = False,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    audience: str = Notice.Audience.COMMUNITY,
    area: OrgUnit | None = None,
    tag: Tag | None = None,
    cover: Any = None,
    request: HttpRequest | None = None,
) -> Notice:
    publish_at = publish_at or timezone.now()
    title, clean, picture = _validated(
        community=community,
        title=title,
        body=body,
        category=category,
        publish_at=publish_at,
        expires_at=expires_at,
        audience=audience,
        area=area,
        tag=tag,
        cover=cover,
    )
    with transaction.atomic():
        notice = Notice(
            community=community,
            title=title[:200],
            body=clean,
            category=category,
            pinned=pinned,
            publish_at=publish_at,
            expires_at=expires_at,
            audience=audience,
            area=area if audience == Notice.Audience.AREA else None,
            tag=tag if audience == Notice.Audience.TAG else None,
            author=actor,
        )
        if picture is not None:
            notice.cover = picture.full.content
            notice.cover_thumb = picture.thumb.content
        notice.save()
        record(
            Action.NOTICE_PUBLISHED,
            actor=actor,
            obj=notice,
            request=request,
            data={"title": notice.title, "cover": picture is not None},
        )
    return notice


def _delete_files_on_commit(*files: Any) -> None:
    names = [(f.storage, f.name) for f in files if f]

    def delete() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def notice_update(
    *,
    actor: Any,
    notice: Notice,
    title: str,
    body: str,
    category: str,
    pinned: bool = False,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    audience: str = Notice.Audience.COMMUNITY,
    area: OrgUnit | None = None,
    tag: Tag | None = None,
    cover: Any = None,
    remove_cover: bool = False,
    request: HttpRequest | None = None,
) -> Notice:
    """Change a notice (its text, category, pin, times, audience, cover); the read count is kept."""
    publish_at = publish_at or notice.publish_at
    title, clean, picture = _validated(
        community=notice.community,
        title=title,
        body=body,
        category=category,
        publish_at=publish_at,
        expires_at=expires_at,
        audience=audience,
        area=area,
        tag=tag,
        cover=cover,
    )
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        before = {"title": notice.title, "pinned": notice.pinned, "audience": notice.audience}
        notice.title = title[:200]
        notice.body = clean
        notice.category = category
        notice.pinned = pinned
        notice.publish_at = publish_at
        notice.expires_at = expires_at
        notice.audience = audience
        notice.area = area if audience == Notice.Audience.AREA else None
        notice.tag = tag if audience == Notice.Audience.TAG else None
        notice.updated_at = timezone.now()
        cover_change = ""
        if picture is not None or remove_cover:
            _delete_files_on_commit(notice.cover, notice.cover_thumb)
            if picture is not None:
                notice.cover = picture.full.content
                notice.cover_thumb = picture.thumb.content
                cover_change = "replaced"
            else:
                notice.cover = None
                notice.cover_thumb = None
                cover_change = "removed"
        notice.save()
        record(
            Action.NOTICE_CHANGED,
            actor=actor,
            obj=notice,
            request=request,
            data={
                "before": before,
                "title": notice.title,
                "pinned": pinned,
                "audience": audience,
                "cover": cover_change,
            },
        )
    return notice


# --- after an activity: a summary with photos ---------------------------------------------------------------


def activity_finished_at(activity: Activity) -> datetime | None:
    return activity.sessions.aggregate(last=Max("ends_at"))["last"]


def summary_for(activity: Activity) -> Notice | None:
    return Notice.objects.filter(activity=activity).first()


def activity_summary_publish(
    *,
    actor: Any,
    activity: Activity,
    title: str,
    body: str,
    photos: Sequence[Any],
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> Notice:
    """Publish what happened at a finished activity, with one to nine photos, as news on the notice board
    (linked to the activity; the first photo is its cover). One summary per activity."""
    now = now or timezone.now()
    title = (title or "").strip()
    clean = sanitise(body)
    files = [f for f in photos if f]
    errors: dict[str, list[str]] = {}
    finished = activity_finished_at(activity)
    if activity.status != Activity.Status.OPEN:
        errors["__all__"] = [_("This activity was cancelled: there is nothing to sum up.")]
    elif finished is None or finished > now:
        errors["__all__"] = [_("The activity has not finished yet: publish its summary afterwards.")]
    elif summary_for(activity) is not None:
        errors["__all__"] = [_("This activity already has a summary.")]
    if not title:
        errors["title"] = [_("Enter a title.")]
    if not clean.strip():
        errors["body"] = [_("Write what happened at the activity.")]
    pictures: list[CleanPicture] = []
    if not files:
        errors["photos"] = [_("Add at least one photo.")]
    elif len(files) > MAX_PHOTOS:
        errors["photos"] = [_("Attach at most %(n)d photos.") % {"n": MAX_PHOTOS}]
    else:
        try:
            pictures = [clean_picture(f, field="photos") for f in files]
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            notice = Notice(
                community_id=activity.community_id,
                title=title[:200],
                body=clean,
                category=Notice.Category.ACTIVITY,
                publish_at=now,
                audience=Notice.Audience.COMMUNITY,
                author=actor,
                activity=activity,
            )
            first = pictures[0]
            notice.cover = ContentFile(first.full.content.read(), name=first.full.content.name)
            first.full.content.seek(0)
            notice.cover_thumb = ContentFile(first.thumb.content.read(), name=first.thumb.content.name)
            first.thumb.content.seek(0)
            notice.save()
            for position, picture in enumerate(pictures):
                NoticePhoto.objects.create(
                    community_id=activity.community_id,
                    notice=notice,
                    image=picture.full.content,
                    thumb=picture.thumb.content,
                    width=picture.full.width,
                    height=picture.full.height,
                    position=position,
                )
            record(
                Action.NOTICE_SUMMARY_PUBLISHED,
                actor=actor,
                obj=notice,
                request=request,
                data={"title": notice.title, "activity": activity.pk, "photos": len(pictures)},
            )
    except IntegrityError as exc:  # two staff members at once: the unique constraint keeps one summary
        raise ValidationError({"__all__": [_("This activity already has a summary.")]}) from exc
    return notice


def notice_mark_read(*, user: Any, notice: Notice) -> bool:
    """Count one read per reader; returns whether this was the first."""
    try:
        with transaction.atomic():
            NoticeRead.objects.create(community_id=notice.community_id, notice=notice, user=user)
            Notice.objects.filter(pk=notice.pk).update(read_count=F("read_count") + 1)
    except IntegrityError:
        return False
    return True
