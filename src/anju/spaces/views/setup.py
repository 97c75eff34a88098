"""Set-up of spaces by station staff: details, rules, hours, closed periods and photos."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.accounts.tokens import token_readable
from anju.core.forms import apply_service_errors
from anju.core.images import image_response
from anju.spaces import forms, setup
from anju.spaces.models import ClosedPeriod, Space, SpacePhoto
from anju.spaces.views.common import space_for


def _managed_space(request: HttpRequest, space_id: int) -> Space:
    qs = policy.visible(
        Space.objects.select_related("station", "part_of"), request.user, "space.manage", "community__path"
    )
    space: Space = policy.get_for(request.user, "space.manage", qs, pk=space_id)
    return space


def _edit_page(
    request: HttpRequest,
    space: Space,
    form: forms.SpaceForm | None = None,
    photo_form: forms.PhotoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    closures = (
        ClosedPeriod.objects.filter(station_id=space.station_id, ends_at__gt=timezone.now())
        .filter(Q(space__isnull=True) | Q(space=space))
        .select_related("space")
        .order_by("starts_at")
    )
    return render(
        request,
        "spaces/space_edit.html",
        {
            "space": space,
            "form": form or forms.SpaceForm(initial=forms.SpaceForm.initial_for(space)),
            "photo_form": photo_form or forms.PhotoForm(),
            "photos": list(space.photos.all()),
            "max_photos": setup.MAX_PHOTOS,
            "closures": list(closures),
            "closure_form": forms.ClosureForm(),
        },
        status=status,
    )


@policy.permission("space.manage")
def space_edit(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    if request.method != "POST":
        return _edit_page(request, space)
    form = forms.SpaceForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, space, form=form, status=422)
    try:
        setup.space_update(
            actor=request.user,
            space=space,
            hours=form.cleaned_data["hours"],
            request=request,
            **form.service_fields(),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        space.refresh_from_db()
        return _edit_page(request, space, form=form, status=422)
    messages.success(request, _("The space was saved."))
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def space_photo_add(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    form = forms.PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _edit_page(request, space, photo_form=form, status=422)
    try:
        added = setup.space_photo_add(
            actor=request.user,
            space=space,
            files=form.cleaned_data["photos"],
            caption=form.cleaned_data["caption"],
            request=request,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _edit_page(request, space, photo_form=form, status=422)
    messages.success(
        request, ngettext("%(n)d photo was added.", "%(n)d photos were added.", len(added)) % {"n": len(added)}
    )
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def space_photo_remove(request: HttpRequest, space_id: int, photo_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    photo = SpacePhoto.objects.filter(space=space, pk=photo_id).first()
    if photo is None:
        raise Http404
    setup.space_photo_remove(actor=request.user, photo=photo, request=request)
    messages.success(request, _("The photo was removed."))
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def closure_remove(request: HttpRequest, space_id: int, closure_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    period = (
        ClosedPeriod.objects.filter(station_id=space.station_id, pk=closure_id)
        .filter(Q(space__isnull=True) | Q(space=space))
        .first()
    )
    if period is None:
        raise Http404
    setup.closed_period_remove(actor=request.user, period=period, request=request)
    messages.success(request, _("The closed period was removed."))
    return redirect("spaces:edit", space_id=space.pk)


@token_readable
@policy.permission("space.view")
def space_photo(request: HttpRequest, space_id: int, photo_id: int) -> FileResponse:
    space = space_for(request, space_id)
    photo = SpacePhoto.objects.filter(space=space, pk=photo_id).first()
    if photo is None:
        raise Http404
    return image_response(photo.image)
