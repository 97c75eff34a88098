"""Whistle pages (吹哨): blowing the whistle, its site code and check-in by scanning it, a department's arrival
on site, the community's evaluation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.appeals import services
from anju.appeals.models import Summons, Whistle
from anju.appeals.policies import liaison_departments
from anju.appeals.views import APPEALS, departments_by_ids, detail_context
from anju.appeals.whistles import services as whistles
from anju.appeals.whistles import sitecode
from anju.core.params import parse_int, parse_positive


@policy.permission("appeal.triage")
@require_POST
def whistle_blow(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.triage", APPEALS, pk=pk)
    try:
        raw = request.POST.get("minutes", "")
        minutes = parse_positive(raw) if raw else whistles.DEFAULT_ARRIVAL_MINUTES
        if minutes is None:
            raise ValueError(raw)
        whistles.whistle_blow(
            actor=request.user,
            appeal=appeal,
            departments=departments_by_ids(request.POST.getlist("departments")),
            minutes=minutes,
            note=request.POST.get("note", ""),
            request=request,
        )
    except (ValidationError, ValueError) as exc:
        context = detail_context(request, appeal)
        context["error"] = " ".join(exc.messages) if isinstance(exc, ValidationError) else _("Enter minutes.")
        return render(request, "appeals/detail.html", context, status=422)
    except services.InvalidTransition as exc:
        context = detail_context(request, appeal)
        context["error"] = exc.message
        return render(request, "appeals/detail.html", context, status=409)
    messages.success(request, _("Whistle blown; the departments are summoned."))
    return redirect("appeals:detail", pk=appeal.pk)


def _summons(user: Any, action: str, pk: int, summons_pk: int) -> Summons:
    appeal = policy.get_for(user, action, APPEALS, pk=pk)
    summons = Summons.objects.filter(whistle__appeal=appeal, pk=summons_pk).select_related("whistle__appeal").first()
    if summons is None:
        raise Http404
    return summons


def _checkin(request: HttpRequest, summons: Summons, method: str) -> HttpResponse:
    try:
        whistles.summons_checkin(actor=request.user, summons=summons, method=method, request=request)
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        if method == Summons.Arrival.SELF_DECLARED:
            messages.warning(
                request,
                _(
                    "Arrival recorded as self-declared: it does not count as on time. Scan the code posted on "
                    "site, or ask the community worker there to confirm it."
                ),
            )
        else:
            messages.success(request, _("Arrival recorded."))
    return redirect("appeals:detail", pk=summons.whistle.appeal_id)


@policy.permission("appeal.handle")
@require_POST
def summons_checkin(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    summons = _summons(request.user, "appeal.view", pk, summons_pk)
    if summons.department_id not in liaison_departments(request.user):
        raise Http404
    return _checkin(request, summons, Summons.Arrival.SELF_DECLARED)


@policy.permission("appeal.triage")
@require_POST
def summons_confirm(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    """A community worker on site confirms that the summoned department is there."""
    return _checkin(request, _summons(request.user, "appeal.triage", pk, summons_pk), Summons.Arrival.CONFIRMED)


@policy.permission("appeal.triage")
@require_POST
def summons_rate(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    summons = _summons(request.user, "appeal.triage", pk, summons_pk)
    try:
        whistles.summons_rate(
            actor=request.user,
            summons=summons,
            rating=parse_int(request.POST.get("rating", "")) or 0,
            comment=request.POST.get("comment", ""),
            request=request,
        )
    except (ValidationError, ValueError):
        messages.error(request, _("Rate from 1 to 5."))
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("appeals:detail", pk=pk)


# --- the whistle's site code ----------------------------------------------------------------------


def _whistle(request: HttpRequest, pk: int, whistle_pk: int) -> Whistle:
    appeal = policy.get_for(request.user, "appeal.triage", APPEALS, pk=pk)
    whistle = Whistle.objects.filter(appeal=appeal, pk=whistle_pk).select_related("appeal").first()
    if whistle is None:
        raise Http404
    return whistle


def _code_url(request: HttpRequest, whistle: Whistle) -> str:
    return request.build_absolute_uri(reverse("appeals:checkin_qr", args=[sitecode.whistle_token(whistle)]))


@policy.permission("appeal.triage")
def whistle_code_image(request: HttpRequest, pk: int, whistle_pk: int, fmt: str) -> HttpResponse:
    """The QR code of the whistle's check-in link, as PNG or SVG."""
    if fmt not in ("png", "svg"):
        raise Http404
    whistle = _whistle(request, pk, whistle_pk)
    response = HttpResponse(
        sitecode.qr_image(_code_url(request, whistle), fmt),
        content_type="image/png" if fmt == "png" else "image/svg+xml",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@policy.permission("appeal.triage")
def whistle_code(request: HttpRequest, pk: int, whistle_pk: int) -> HttpResponse:
    """A printable page with the site code, to post where the departments arrive."""
    whistle = _whistle(request, pk, whistle_pk)
    svg = sitecode.qr_image(_code_url(request, whistle), "svg").decode()
    return render(
        request,
        "appeals/whistle_code.html",
        {
            "whistle": whistle,
            "appeal": whistle.appeal,
            "summonses": list(whistle.summonses.select_related("department").order_by("id")),
            "qr": mark_safe(svg),  # noqa: S308  segno's own SVG of our signed URL
            "png": reverse("appeals:whistle_code_image", args=[pk, whistle.pk, "png"]),
            "expires_hours": sitecode.CODE_MAX_AGE // 3600,
        },
    )


@policy.permission("appeal.handle")
def checkin_code(request: HttpRequest, token: str) -> HttpResponse:
    """Where a liaison lands after scanning the site code: confirm, and the arrival is recorded once."""
    try:
        if request.method == "POST":
            site = sitecode.checkin_by_code(actor=request.user, token=token, request=request)
            if site.recorded:
                messages.success(request, _("Arrival recorded."))
            else:
                messages.info(request, _("Your arrival was already recorded; nothing changed."))
            return redirect("appeals:checkin_qr", token=token)
        site = sitecode.read_code(request.user, token)
    except sitecode.Refused as exc:
        return render(request, "appeals/checkin.html", {"refused": exc.message}, status=exc.status)
    return render(
        request,
        "appeals/checkin.html",
        {
            "whistle": site.whistle,
            "appeal": site.whistle.appeal,
            "mine": site.mine,
            "pending": [s for s in site.mine if not s.verified],
        },
    )
