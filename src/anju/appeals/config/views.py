"""Pages configuring appeals: catalogue, routing rules, SLA policies, satisfaction scale and the official
holiday schedule. Parse → fetch-and-authorise → service in ``config.services`` → render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.appeals import privacy
from anju.appeals.config import forms
from anju.appeals.config import services as config
from anju.appeals.forms import HolidayForm
from anju.appeals.models import Category, CategoryRoute, SatisfactionLevel, SlaPolicy
from anju.calendar import selectors as calendar_selectors
from anju.calendar import services as calendar_services
from anju.calendar.models import HolidayDate
from anju.core.forms import apply_service_errors
from anju.core.pagination import paginate, query_without_page
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit


def _global(queryset: Any, pk: int) -> Any:
    """Fetch a catalogue-wide row (category, SLA policy, satisfaction level). These belong to no org unit, so the
    action-level permission of the view is the whole check; a missing row answers 404."""
    return get_object_or_404(queryset, pk=pk)


def _index_links(user: Any) -> list[dict[str, Any]]:
    links = []
    if policy.can(user, "appeal.configure"):
        links += [
            {
                "url": reverse("appeals:config_categories"),
                "title": _("Catalogue (派单目录)"),
                "text": _("Categories residents choose from; each is an Open311 service."),
            },
        ]
    if policy.can(user, "appeal.routes"):
        links.append(
            {
                "url": reverse("appeals:config_routes"),
                "title": _("Routing rules"),
                "text": _("The default department of each category, per org unit."),
            }
        )
    if policy.can(user, "appeal.configure"):
        links += [
            {
                "url": reverse("appeals:config_sla"),
                "title": _("SLA policies"),
                "text": _("Deadlines for dispatch, signing, contact and feedback, per category and urgency."),
            },
        ]
    if policy.can(user, "calendar.configure"):
        links += [
            {
                "url": reverse("appeals:holidays"),
                "title": _("Official holiday schedule"),
                "text": _("Holidays and make-up working days of a year the holiday library does not know yet."),
            },
        ]
    if policy.can(user, "appeal.configure"):
        links += [
            {
                "url": reverse("appeals:config_satisfaction"),
                "title": _("Satisfaction scale"),
                "text": _("The callback's rating levels and which of them count as satisfied."),
            },
        ]
    if policy.can(user, "appeal.publish"):
        links.append(
            {
                "url": reverse("appeals:config_publication"),
                "title": _("What the community publishes"),
                "text": _("Open311 and public pages: nothing, or category and status; the area and a summary."),
            }
        )
    return links


def _publishable(user: Any) -> list[OrgUnit]:
    """The communities whose publication the user may set."""
    return list(policy.visible(OrgUnit.objects.communities(), user, "appeal.publish", "path").order_by("path"))


@policy.permission("appeal.publish")
def publication(request: HttpRequest) -> HttpResponse:
    """Set what one community publishes of its appeals (``?community=<id>``; the first one by default)."""
    communities = _publishable(request.user)
    wanted = request.GET.get("community", "")
    community = next((c for c in communities if str(c.pk) == wanted), communities[0] if communities else None)
    if community is None:
        return render(request, "appeals/config/publication.html", {"communities": [], "community": None})
    current = privacy.publication_for(community)
    initial = {
        "level": current.level,
        "area": current.area,
        "summary": current.summary,
        "followers_counted": current.followers_counted,
    }
    form = forms.PublicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.publication_set(actor=request.user, community=community, request=request, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('appeals:config_publication')}?community={community.pk}")
    return render(
        request,
        "appeals/config/publication.html",
        {"communities": communities, "community": community, "form": form, "current": current},
        status=422 if form.errors else 200,
    )


@policy.permission("appeal.routes")
def index(request: HttpRequest) -> HttpResponse:
    years = calendar_selectors.recent_years()
    return render(request, "appeals/config/index.html", {"links": _index_links(request.user), "years": years})


# --- catalogue ----------------------------------------------------------------------------------


@policy.permission("appeal.configure")
def categories(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    page = paginate(request, config.categories(q=q, state=state))
    return render(
        request,
        "appeals/config/categories.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "states": [("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated"))],
            "query": query_without_page(request),
        },
    )


def _category_data(form: forms.CategoryForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["sort_order"] = data.get("sort_order") or 0
    return data


@policy.permission("appeal.configure")
def category_new(request: HttpRequest) -> HttpResponse:
    form = forms.CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = config.category_create(actor=request.user, request=request, **_category_data(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added to the catalogue.") % {"name": category.name})
            return redirect("appeals:config_categories")
    return render(request, "appeals/config/category_form.html", {"form": form, "category": None})


@policy.permission("appeal.configure")
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = _global(config.categories(), pk)
    initial = {
        k: getattr(category, k)
        for k in ("code", "name", "group", "description", "department_kind", "default_urgency", "sort_order")
    }
    form = forms.CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config.category_update(actor=request.user, category=category, request=request, **_category_data(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been saved.") % {"name": category.name})
            return redirect("appeals:config_categories")
    return render(request, "appeals/config/category_form.html", {"form": form, "category": category})


@policy.permission("appeal.configure")
@require_POST
def category_active(request: HttpRequest, pk: int) -> HttpResponse:
    category = _global(Category, pk)
    active = request.POST.get("active") == "1"
    config.category_set_active(actor=request.user, category=category, active=active, request=request)
    if active:
        messages.success(request, _("%(name)s is active again.") % {"name": category.name})
    else:
        messages.success(
            request,
            _("%(name)s is deactivated: residents can no longer choose it; open appeals keep it.")
            % {"name": category.name},
        )
    return redirect("appeals:config_categories")


@policy.permission("appeal.configure")
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    category = _global(Category, pk)
    try:
        config.category_delete(actor=request.user, category=category, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s has been deleted.") % {"name": category.name})
    return redirect("appeals:config_categories")


# --- routing rules ------------------------------------------------------------------------------


@policy.permission("appeal.routes")
def routes(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = config.route_units(user)
    unit: OrgUnit | None = None
    if request.GET.get("unit"):
        unit = policy.get_for(user, "appeal.routes", OrgUnit, pk=parse_id(request.GET["unit"]))
    q = request.GET.get("q", "").strip()
    initial: dict[str, Any] = {"unit": unit.pk} if unit else {}
    if request.GET.get("category"):
        initial["category"] = request.GET["category"]
    form = forms.RouteForm(
        request.POST or None, initial=initial, units=units, departments=config.route_departments(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            route = config.route_set(
                actor=user,
                unit=form.cleaned_data["unit"],
                category=form.cleaned_data["category"],
                department=form.cleaned_data["department"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Appeals of %(category)s in %(unit)s now go to %(department)s by default.")
                % {"category": route.category.name, "unit": route.unit.name, "department": route.department.name},
            )
            return redirect(f"{reverse('appeals:config_routes')}?unit={route.unit_id}")
    context = {
        "form": form,
        "unit": unit,
        "unit_choices": units.filter(kind__in=["province", "city", "district", "street", "community"]),
        "q": q,
        "page": paginate(request, config.routes(user, unit=unit, q=q)),
        "effective": config.effective_routes(unit) if unit else None,
        "query": query_without_page(request),
    }
    return render(request, "appeals/config/routes.html", context)


@policy.permission("appeal.routes")
@require_POST
def route_remove(request: HttpRequest, pk: int) -> HttpResponse:
    route = policy.get_for(
        request.user, "appeal.routes", CategoryRoute.objects.select_related("unit", "category"), pk=pk
    )
    unit_id = route.unit_id
    config.route_remove(actor=request.user, route=route, request=request)
    messages.success(request, _("The routing rule has been removed."))
    return redirect(f"{reverse('appeals:config_routes')}?unit={unit_id}")


# --- SLA policies -------------------------------------------------------------------------------


@policy.permission("appeal.configure")
def sla(request: HttpRequest) -> HttpResponse:
    form = forms.SlaCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            config.sla_create(
                actor=request.user,
                category=form.cleaned_data["category"],
                urgency=form.cleaned_data["urgency"],
                complex=form.cleaned_data["complex"],
                request=request,
                **form.deadlines(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The SLA policy has been added."))
            return redirect("appeals:config_sla")
    return render(request, "appeals/config/sla.html", {"policies": config.sla_policies(), "form": form})


@policy.permission("appeal.configure")
def sla_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sla_policy = _global(SlaPolicy.objects.select_related("category"), pk)
    fields = [f"{stage}_{part}" for stage in config.SLA_STAGES for part in ("value", "unit", "basis")]
    initial = {name: getattr(sla_policy, name) for name in fields}
    form = forms.SlaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config.sla_update(actor=request.user, sla=sla_policy, request=request, **form.deadlines())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The SLA policy has been saved. It applies to deadlines computed from now on."))
            return redirect("appeals:config_sla")
    return render(request, "appeals/config/sla_form.html", {"form": form, "sla": sla_policy})


@policy.permission("appeal.configure")
@require_POST
def sla_remove(request: HttpRequest, pk: int) -> HttpResponse:
    sla_policy = _global(SlaPolicy.objects.select_related("category"), pk)
    try:
        config.sla_remove(actor=request.user, sla=sla_policy, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The SLA policy has been removed; the default for its urgency applies."))
    return redirect("appeals:config_sla")


# --- satisfaction scale -------------------------------------------------------------------------


@policy.permission("appeal.configure")
def satisfaction(request: HttpRequest) -> HttpResponse:
    form = forms.SatisfactionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            config.satisfaction_create(
                actor=request.user,
                code=form.cleaned_data["code"],
                label=form.cleaned_data["label"],
                counts_as_satisfied=form.cleaned_data["counts_as_satisfied"],
                sort_order=form.cleaned_data["sort_order"] or 0,
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The level has been added."))
            return redirect("appeals:config_satisfaction")
    levels = SatisfactionLevel.objects.order_by("sort_order", "id")
    return render(request, "appeals/config/satisfaction.html", {"levels": levels, "form": form})


@policy.permission("appeal.configure")
def satisfaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    level = _global(SatisfactionLevel, pk)
    initial = {"label": level.label, "counts_as_satisfied": level.counts_as_satisfied, "sort_order": level.sort_order}
    form = forms.SatisfactionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config.satisfaction_update(
                actor=request.user,
                level=level,
                label=form.cleaned_data["label"],
                counts_as_satisfied=form.cleaned_data["counts_as_satisfied"],
                sort_order=form.cleaned_data["sort_order"] or 0,
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The level has been saved."))
            return redirect("appeals:config_satisfaction")
    return render(request, "appeals/config/satisfaction_form.html", {"form": form, "level": level})


# --- the official holiday schedule ---------------------------------------------------------------


@policy.permission("calendar.configure")  # the calendar's own action, as calendar.services.holidays_set checks
def holidays(request: HttpRequest) -> HttpResponse:
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = []
        bad = []
        for n, line in enumerate(form.cleaned_data["days"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                kind = parts[1].lower() if len(parts) > 1 else HolidayDate.Kind.HOLIDAY
                days.append((dt.date.fromisoformat(parts[0]), kind))
            except ValueError:
                bad.append(_("Line %(n)d: write a date like 2027-01-01.") % {"n": n})
        if bad:
            form.add_error("days", bad)
        else:
            try:
                calendar_services.holidays_set(
                    actor=request.user, year=form.cleaned_data["year"], days=days, request=request
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Schedule saved; the open deadlines touching this year are being recomputed.")
                )
                return redirect("appeals:holidays")
    entered = calendar_selectors.entered_days()
    return render(
        request,
        "appeals/holidays.html",
        {"form": form, "entered": entered, "years": calendar_selectors.years(), **calendar_selectors.coverage()},
    )
