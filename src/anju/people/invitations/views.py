"""Desk invitations: the worker's issue and revoke buttons on the resident page, and the resident's pages
(open the invitation on the phone, confirm the number by SMS code)."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.accounts import codes
from anju.accounts.forms import CodeForm, MobileForm
from anju.core.masking import mask_mobile
from anju.people.invitations import services
from anju.people.models import Invitation, Resident

SESSION = "anju_invitation_mobile"


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=4, xmldecl=False, omitsize=True, svgclass="invite-qr", title=_("Invitation")
    )
    return buffer.getvalue().decode()


@policy.permission("people.invite")
@require_POST
@never_cache
def invitation_issue(request: HttpRequest, pk: int) -> HttpResponse:
    resident = policy.get_for(request.user, "people.invite", Resident.objects.select_related("household"), pk=pk)
    try:
        invitation, token = services.invitation_issue(
            actor=request.user, resident=resident, identified_by=request.POST.get("identified_by", ""), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:resident", pk=resident.pk)
    url = request.build_absolute_uri(reverse("people:invite_open", kwargs={"token": token}))
    context = {
        "resident": resident,
        "invitation": invitation,
        "url": url,
        "qr": mark_safe(_qr_svg(url)),  # noqa: S308  segno's own SVG of our URL
    }
    return render(request, "people/invitation.html", context)


@policy.permission("people.invite")
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = policy.get_for(request.user, "people.invite", Invitation.objects.select_related("resident"), pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation has been withdrawn."))
    return redirect("people:resident", pk=invitation.resident_id)


def _gone(request: HttpRequest, exc: services.InvitationGone) -> HttpResponse:
    return render(request, "people/invite_gone.html", {"message": exc.message}, status=410)


@policy.public
@never_cache
def invite_open(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's phone: the invitation, then their mobile number."""
    try:
        invitation = services.invitation_open(token)
    except services.InvitationGone as exc:
        return _gone(request, exc)
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.invitation_send_code(token=token, mobile=form.cleaned_data["mobile"], request=request)
        except codes.CodeError as exc:
            form.add_error("mobile", exc.message)
        except services.InvitationGone as exc:
            return _gone(request, exc)
        else:
            request.session[SESSION] = codes.clean_mobile(form.cleaned_data["mobile"])
            messages.info(
                request,
                _("A code is on its way to %(mobile)s by SMS. It is valid for %(minutes)s minutes.")
                % {"mobile": sent.mobile_masked, "minutes": settings.ANJU_CODE_TTL // 60},
            )
            return redirect("people:invite_code", token=token)
    context = {"form": form, "name": invitation.resident.name_masked, "expires_at": invitation.expires_at}
    return render(request, "people/invite_open.html", context, status=422 if form.errors else 200)


@policy.public
@never_cache
def invite_code(request: HttpRequest, token: str) -> HttpResponse:
    """The six digits; a right code signs the resident in to their linked account."""
    mobile = str(request.session.get(SESSION, ""))
    if not mobile:
        return redirect("people:invite_open", token=token)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, mobile=mobile, code=form.cleaned_data["code"], request=request
            )
        except codes.CodeError as exc:
            form.add_error("code", exc.message)
        except services.InvitationGone as exc:
            return _gone(request, exc)
        else:
            request.session.pop(SESSION, None)
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Welcome! Your account is ready. Next time, sign in with an SMS code."))
            return redirect("core:home")
    context = {"form": form, "mobile_masked": mask_mobile(mobile)}
    return render(request, "people/invite_code.html", context, status=422 if form.errors else 200)
