"""Publishing and reading notices. The body is sanitised with nh3 on the way in: no scripts, no event
handlers, no iframes (nor any other tag outside a small allow-list), no javascript: links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.bulletin.models import Notice, NoticeRead
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
    "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "hr", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan"}}


def sanitise(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


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
    request: HttpRequest | None = None,
) -> Notice:
    title = (title or "").strip()
    clean = sanitise(body)
    publish_at = publish_at or timezone.now()
    errors: dict[str, list[str]] = {}
    if community.kind != UnitKind.COMMUNITY:
        errors["community"] = [_("A notice belongs to a community.")]
    if not title:
        errors["title"] = [_("Enter a title.")]
    if not clean.strip():
        errors["body"] = [_("Write the text of the notice.")]
    if category not in Notice.Category.values:
        errors["category"] = [_("Choose a valid category.")]
    if expires_at is not None and expires_at <= publish_at:
        errors["expires_at"] = [_("The notice must expire after it is published.")]
    if audience == Notice.Audience.AREA and (area is None or not area.path.startswith(community.path)):
        errors["area"] = [_("Choose an area of the community.")]
    if audience == Notice.Audience.TAG and (tag is None or tag.community_id != community.pk):
        errors["tag"] = [_("Choose a tag of the community.")]
    if audience not in Notice.Audience.values:
        errors["audience"] = [_("Choose a valid audience.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        notice = Notice.objects.create(
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
        record(Action.NOTICE_PUBLISHED, actor=actor, obj=notice, request=request, data={"title": notice.title})
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
