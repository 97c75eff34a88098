"""Pages of the notice board."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anju.access import policy
from anju.accounts.tokens import token_readable
from anju.activities.models import Activity
from anju.bulletin import forms, selectors, services
from anju.bulletin.models import Notice, NoticePhoto
from anju.core.forms import apply_service_errors
from anju.core.images import image_response
from anju.core.pagination import paginate, query_without_page
from anju.orgs.models import OrgUnit, UnitKind


@policy.permission("notice.view")
def notice_list(request: HttpRequest) -> HttpResponse:
    filters = forms.NoticeFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    notices = selectors.filter_notices(
        selectors.notices_for(request.user),
        category=data.get("category", ""),
        pinned=True if data.get("pinned") else None,
        q=data.get("q", ""),
    )
    page = paginate(request, notices)
    manage = policy.can(request.user, "notice.manage")
    return render(
        request,
        "bulletin/list.html",
        {
            "page": page,
            "filters": filters,
            "query": query_without_page(request),
            "hot": selectors.hot(request.user),
            "manage": manage,
            "off_board": selectors.off_board(request.user) if manage else [],
        },
    )


@policy.permission("notice.view")
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice: Notice = policy.get_for(request.user, "notice.view", selectors.notices_for(request.user), pk=notice_id)
    services.notice_mark_read(user=request.user, notice=notice)
    notice.refresh_from_db(fields=["read_count"])
    older, newer = selectors.neighbours(request.user, notice)
    return render(
        request,
        "bulletin/detail.html",
        {
            "notice": notice,
            "body": mark_safe(notice.body),  # noqa: S308  sanitised by nh3 when it was saved
            "older": older,
            "newer": newer,
            "hot": selectors.hot(request.user),
            "photos": list(notice.photos.all()),
            "manage": policy.can(request.user, "notice.manage", notice),
        },
    )


@policy.permission("notice.manage")
def notice_new(request: HttpRequest) -> HttpResponse:
    communities = policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), request.user, "notice.manage", "path")
    community = communities.order_by("path").first()
    if community is None:
        raise PermissionDenied
    form = forms.NoticeForm(request.POST or None, request.FILES or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(
                actor=request.user, community=community, request=request, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("bulletin:detail", notice_id=notice.pk)
    return render(request, "bulletin/new.html", {"form": form, "community": community})


def _local_input(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@policy.permission("notice.manage")
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice: Notice = policy.get_for(
        request.user, "notice.manage", selectors.notices_to_manage(request.user), pk=notice_id
    )
    initial = {
        "title": notice.title,
        "category": notice.category,
        "body": notice.body,
        "pinned": notice.pinned,
        "publish_at": _local_input(notice.publish_at),
        "expires_at": _local_input(notice.expires_at),
        "audience": notice.audience,
        "area": notice.area_id,
        "tag": notice.tag_id,
    }
    form = forms.NoticeEditForm(
        request.POST or None, request.FILES or None, community=notice.community, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_update(actor=request.user, notice=notice, request=request, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("bulletin:detail", notice_id=notice.pk)
    return render(request, "bulletin/edit.html", {"form": form, "notice": notice})


def _with_images(user: Any) -> Any:
    """Readers see the images of the notices on their board; staff also those of scheduled and expired ones
    (the edit page shows the cover)."""
    if policy.can(user, "notice.manage"):
        return selectors.notices_for(user) | selectors.notices_to_manage(user)
    return selectors.notices_for(user)


@token_readable
@policy.permission("notice.view")
def notice_cover(request: HttpRequest, notice_id: int, size: str = "full") -> FileResponse:
    notice: Notice = policy.get_for(request.user, "notice.view", _with_images(request.user), pk=notice_id)
    return image_response(notice.cover_thumb if size == "thumb" else notice.cover)


@token_readable
@policy.permission("notice.view")
def notice_photo(request: HttpRequest, notice_id: int, photo_id: int, size: str = "full") -> FileResponse:
    notice: Notice = policy.get_for(request.user, "notice.view", _with_images(request.user), pk=notice_id)
    photo = NoticePhoto.objects.filter(notice=notice, pk=photo_id).first()
    if photo is None:
        raise Http404
    return image_response(photo.thumb if size == "thumb" else photo.image)


@policy.permission("notice.manage")
@require_http_methods(["GET", "POST"])
def activity_summary(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Publish the summary of a finished activity, with photos, as news on the notice board."""
    activity: Activity = policy.get_for(
        request.user,
        "notice.manage",
        policy.visible(Activity.objects.all(), request.user, "notice.manage", "community__path"),
        pk=activity_id,
    )
    existing = services.summary_for(activity)
    if existing is not None:
        return redirect("bulletin:detail", notice_id=existing.pk)
    form = forms.SummaryForm(
        request.POST or None,
        request.FILES or None,
        initial={"title": _summary_title(activity)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.activity_summary_publish(
                actor=request.user,
                activity=activity,
                title=data["title"],
                body=data["body"],
                photos=data["photos"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("bulletin:detail", notice_id=notice.pk)
    finished = services.activity_finished_at(activity)
    return render(
        request,
        "bulletin/summary.html",
        {
            "form": form,
            "activity": activity,
            "finished": finished is not None and finished <= timezone.now(),
        },
    )


def _summary_title(activity: Activity) -> str:
    return _("%(title)s: how it went") % {"title": activity.title}
