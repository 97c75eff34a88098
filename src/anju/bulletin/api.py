"""The notice board over JSON: the same selectors (who sees what) and services (publish, change, read) as the
pages. Images are served by the pages' permission-checked views; the API gives their URLs."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anju.access import policy
from anju.activities.models import Activity
from anju.bulletin import selectors, services
from anju.bulletin.models import Notice
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag

router = Router(tags=["notices"])

CATEGORIES = ", ".join(Notice.Category.values)
AUDIENCES = ", ".join(Notice.Audience.values)


class NoticeOut(Schema):
    id: int
    community_id: int
    title: str
    category: str = Field(..., description=CATEGORIES)
    pinned: bool
    publish_at: datetime
    expires_at: datetime | None
    audience: str = Field(..., description=AUDIENCES)
    area_id: int | None
    tag_id: int | None
    activity_id: int | None = Field(None, description="set on the summary published after an activity")
    read_count: int = Field(..., description="readers, each counted once")
    cover_url: str | None = Field(None, description="the cover image (JPEG without metadata), when there is one")
    cover_thumb_url: str | None = Field(None, description="a small copy of the cover for lists")

    @staticmethod
    def resolve_cover_url(obj: Notice) -> str | None:
        return reverse("bulletin:cover", args=[obj.pk]) if obj.cover else None

    @staticmethod
    def resolve_cover_thumb_url(obj: Notice) -> str | None:
        return reverse("bulletin:cover_thumb", args=[obj.pk]) if obj.cover_thumb else None


class PhotoOut(Schema):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class NoticeDetailOut(NoticeOut):
    body: str = Field(..., description="sanitised HTML: no scripts, event handlers or iframes")
    photos: list[PhotoOut] = Field(..., alias="photos_out")
    previous_id: int | None = Field(None, description="the next older notice the caller sees")
    next_id: int | None = Field(None, description="the next newer notice the caller sees")


class NoticeFilters(Schema):
    category: str = Field("", description=CATEGORIES)
    pinned: bool | None = None
    q: str = Field("", max_length=100, description="words to find in the title or text")


class NoticeIn(Schema):
    community_id: Id
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=50_000, description="HTML; sanitised on the way in")
    category: str = Field(Notice.Category.NOTICE, description=CATEGORIES)
    pinned: bool = False
    publish_at: datetime | None = Field(None, description="with its time zone; empty: now; later: scheduled")
    expires_at: datetime | None = None
    audience: str = Field(Notice.Audience.COMMUNITY, description=AUDIENCES)
    area_id: Id | None = Field(None, description="audience area: an area or grid of the community")
    tag_id: Id | None = Field(None, description="audience tag: a tag of the community")


class NoticePatch(Schema):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=50_000)
    category: str | None = None
    pinned: bool | None = None
    publish_at: datetime | None = None
    expires_at: datetime | None = Field(None, description="null clears the expiry")
    audience: str | None = None
    area_id: Id | None = None
    tag_id: Id | None = None


def _area(area_id: Id | None) -> OrgUnit | None:
    return OrgUnit.objects.filter(pk=area_id).first() if area_id is not None else None


def _tag(tag_id: Id | None) -> Tag | None:
    return Tag.objects.filter(pk=tag_id).first() if tag_id is not None else None


def _detail(request: HttpRequest, notice: Notice) -> Notice:
    """The notice with its photos and the caller's previous/next, ready for ``NoticeDetailOut``."""
    older, newer = selectors.neighbours(request.user, notice)
    notice.photos_out = [  # type: ignore[attr-defined]
        {
            "id": p.pk,
            "url": reverse("bulletin:photo", args=[notice.pk, p.pk]),
            "thumb_url": reverse("bulletin:photo_thumb", args=[notice.pk, p.pk]),
            "width": p.width,
            "height": p.height,
        }
        for p in notice.photos.all()
    ]
    notice.previous_id = older.pk if older else None  # type: ignore[attr-defined]
    notice.next_id = newer.pk if newer else None  # type: ignore[attr-defined]
    return notice


@router.get("/notices", response=list[NoticeOut], summary="The notice board: what the caller may read, pinned first")
@paginate(Pagination)
@policy.permission("notice.view")
def list_notices(request: HttpRequest, filters: Query[NoticeFilters]) -> Any:
    return selectors.filter_notices(
        selectors.notices_for(request.user), category=filters.category, pinned=filters.pinned, q=filters.q
    )


@router.get("/notices/hot", response=list[NoticeOut], summary="The most read notices of the last 30 days")
@policy.permission("notice.view")
def hot_notices(request: HttpRequest) -> Any:
    return selectors.hot(request.user)


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeDetailOut, 404: ErrorOut},
    summary="One notice (counts the caller as a reader), with its photos and previous/next",
)
@policy.permission("notice.view")
def get_notice(request: HttpRequest, notice_id: Id) -> Any:
    notice: Notice = policy.get_for(request.user, "notice.view", selectors.notices_for(request.user), pk=notice_id)
    services.notice_mark_read(user=request.user, notice=notice)
    notice.refresh_from_db(fields=["read_count"])
    return _detail(request, notice)


@router.post(
    "/notices",
    response={201: NoticeDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Publish a notice now or schedule it (staff); add a cover with POST /notices/{id}/cover",
)
@policy.permission("notice.manage")
def create_notice(request: HttpRequest, payload: NoticeIn) -> Any:
    community = policy.get_for(
        request.user, "notice.manage", OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), pk=payload.community_id
    )
    notice = services.notice_create(
        actor=request.user,
        community=community,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        pinned=payload.pinned,
        publish_at=payload.publish_at,
        expires_at=payload.expires_at,
        audience=payload.audience,
        area=_area(payload.area_id),
        tag=_tag(payload.tag_id),
        request=request,
    )
    return Status(201, _detail(request, notice))


def _managed(request: HttpRequest, notice_id: Id) -> Notice:
    notice: Notice = policy.get_for(
        request.user, "notice.manage", selectors.notices_to_manage(request.user), pk=notice_id
    )
    return notice


def _update(request: HttpRequest, notice: Notice, changes: dict[str, Any], **cover: Any) -> Notice:
    """Call the one change service with the notice's current values, overridden by ``changes``."""
    current: dict[str, Any] = {
        "title": notice.title,
        "body": notice.body,
        "category": notice.category,
        "pinned": notice.pinned,
        "publish_at": notice.publish_at,
        "expires_at": notice.expires_at,
        "audience": notice.audience,
        "area": notice.area,
        "tag": notice.tag,
    }
    return services.notice_update(actor=request.user, notice=notice, **(current | changes), **cover, request=request)


@router.patch(
    "/notices/{notice_id}",
    response={200: NoticeDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a notice (staff): only the fields sent change; the read count is kept",
)
@policy.permission("notice.manage")
def update_notice(request: HttpRequest, notice_id: Id, payload: NoticePatch) -> Any:
    notice = _managed(request, notice_id)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in ("title", "body", "category", "pinned", "audience", "publish_at"):
        if data.get(name) is not None:
            changes[name] = data[name]
    if "expires_at" in data:
        changes["expires_at"] = data["expires_at"]
    if "area_id" in data:
        changes["area"] = _area(data["area_id"])
    if "tag_id" in data:
        changes["tag"] = _tag(data["tag_id"])
    notice = _update(request, notice, changes)
    return _detail(request, _managed(request, notice.pk))


@router.post(
    "/notices/{notice_id}/cover",
    response={200: NoticeDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Upload or replace the cover (multipart; a file that is not an image is refused, EXIF is removed)",
)
@policy.permission("notice.manage")
def upload_cover(request: HttpRequest, notice_id: Id, cover: File[UploadedFile]) -> Any:
    notice = _update(request, _managed(request, notice_id), {}, cover=cover)
    return _detail(request, _managed(request, notice.pk))


@router.delete(
    "/notices/{notice_id}/cover",
    response={200: NoticeDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Remove the cover",
)
@policy.permission("notice.manage")
def remove_cover(request: HttpRequest, notice_id: Id) -> Any:
    notice = _managed(request, notice_id)
    if notice.cover:
        notice = _update(request, notice, {}, remove_cover=True)
    return _detail(request, _managed(request, notice.pk))


@router.post(
    "/activities/{activity_id}/summary",
    response={201: NoticeDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Publish what happened at a finished activity, with 1 to 9 photos, as news (staff; multipart)",
)
@policy.permission("notice.manage")
def publish_summary(
    request: HttpRequest,
    activity_id: Id,
    title: Form[str],
    body: Form[str],
    photos: File[list[UploadedFile]],
) -> Any:
    activity: Activity = policy.get_for(
        request.user,
        "notice.manage",
        policy.visible(Activity.objects.all(), request.user, "notice.manage", "community__path"),
        pk=activity_id,
    )
    notice = services.activity_summary_publish(
        actor=request.user, activity=activity, title=title, body=body, photos=photos, request=request
    )
    return Status(201, _detail(request, _managed(request, notice.pk)))
