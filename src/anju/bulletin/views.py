"""Pages of the notice board."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from anju.accounts import policy
from anju.bulletin import forms, selectors, services
from anju.bulletin.models import Notice
from anju.core.forms import apply_service_errors
from anju.core.pagination import paginate
from anju.orgs.models import OrgUnit, UnitKind


@policy.permission("notice.view")
def notice_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notices_for(request.user))
    return render(
        request,
        "bulletin/list.html",
        {"page": page, "hot": selectors.hot(request.user), "manage": policy.can(request.user, "notice.manage")},
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
        },
    )


@policy.permission("notice.manage")
def notice_new(request: HttpRequest) -> HttpResponse:
    communities = policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), request.user, "notice.manage", "path")
    community = communities.order_by("path").first()
    if community is None:
        raise PermissionDenied
    form = forms.NoticeForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.notice_create(
                actor=request.user,
                community=community,
                title=data["title"],
                body=data["body"],
                category=data["category"],
                pinned=data["pinned"],
                publish_at=data["publish_at"],
                expires_at=data["expires_at"],
                audience=data["audience"],
                area=data["area"],
                tag=data["tag"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("bulletin:detail", notice_id=notice.pk)
    return render(request, "bulletin/new.html", {"form": form, "community": community})
