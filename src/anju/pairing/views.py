"""Pages of pairing: the central household's phone pages (this week, a household, a visit) and the staff's
(central households, the unpaired queue, the suggestion, coverage)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.access.roles import Role
from anju.accounts.models import User
from anju.appeals.models import Category
from anju.audit.reasons import RevealReasonForm
from anju.core import screening
from anju.core.excel import safe_row
from anju.core.forms import apply_service_errors
from anju.core.params import parse_ids
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import forms, selectors, services
from anju.pairing.models import CentralHousehold, Pairing, Visit
from anju.people import services as people_services
from anju.people.models import Household, Resident


def _household(request: HttpRequest, household_id: int, action: str = "pairing.visit") -> Household:
    return policy.get_for(
        request.user, action, selectors.households_for(request.user).select_related("care"), pk=household_id
    )


@policy.permission("pairing.visit")
def mine(request: HttpRequest) -> HttpResponse:
    central = selectors.central_of(request.user)
    due, later = selectors.week_plan(central) if central else ([], [])
    return render(
        request,
        "pairing/mine.html",
        {
            "central": central,
            "due": due,
            "later": later,
            "serving": len(due) + len(later),
            "today": timezone.localdate(),
            "staff": policy.can(request.user, "pairing.view"),
        },
    )


def _household_context(request: HttpRequest, household: Household, **extra: Any) -> dict[str, Any]:
    rows = selectors.rows_of(Household.objects.filter(pk=household.pk).select_related("address__unit"))
    row = rows[0]
    members = list(household.members.filter(status=Resident.Status.ACTIVE).order_by("id"))
    manage = policy.can(request.user, "pairing.manage", household)
    context: dict[str, Any] = {
        "household": household,
        "row": row,
        "members": members,
        "visits": selectors.visits_of(household),
        "may_reveal": policy.can(request.user, "pairing.reveal", household) and any(m.mobile_sealed for m in members),
        "reveal_form": RevealReasonForm(),
        "manage": manage,
        "revealed": {},
    }
    if manage:
        centrals = selectors.centrals_visible(request.user, "pairing.manage").filter(
            community_id=household.community_id, is_active=True
        )
        context.update(
            history=list(selectors.history_of(household)),
            care_form=forms.CareForm(initial={"level": row.level}),
            pair_form=forms.PairForm(centrals=centrals, initial={"central": row.central_id}),
            end_form=forms.EndForm(),
            care=getattr(household, "care", None),
        )
    context.update(extra)
    context["member_rows"] = [(m, context["revealed"].get(m.pk, "")) for m in members]
    return context


@policy.permission("pairing.visit")
def household(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id)
    return render(request, "pairing/household.html", _household_context(request, obj))


@policy.permission("pairing.reveal")
@never_cache  # a revealed number must not stay in a browser or proxy cache
@require_POST
def reveal(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id, "pairing.reveal")
    form = RevealReasonForm(request.POST)
    resident = policy.get_for(
        request.user,
        "pairing.reveal",
        Resident.objects.filter(household=obj, status=Resident.Status.ACTIVE).select_related("household"),
        pk=request.POST.get("resident") or 0,
    )
    if not form.is_valid():
        context = _household_context(request, obj, reveal_form=form)
        return render(request, "pairing/household.html", context, status=422)
    value = people_services.resident_reveal(
        actor=request.user,
        resident=resident,
        field="mobile",
        purpose=form.reveal_reason.purpose,
        reason=form.reveal_reason.text,
        request=request,
    )
    return render(request, "pairing/household.html", _household_context(request, obj, revealed={resident.pk: value}))


@policy.permission("pairing.visit")
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id)
    categories = Category.objects.filter(is_active=True)
    form = forms.VisitForm(request.POST or None, request.FILES or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                actor=request.user,
                household=obj,
                visited_on=data["visited_on"],
                method=data["method"],
                met=data["met"],
                condition=data["condition"],
                needs=data["needs"],
                note=data["note"],
                follow_up=data["follow_up"],
                category=categories.filter(pk=data["category"]).first() if data["category"] else None,
                photos=request.FILES.getlist("photos"),
                client_key=data["client_key"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if visit.appeal_id:
                messages.success(request, _("Visit recorded; the appeal is filed."))
            else:
                messages.success(request, _("Visit recorded."))
            return redirect("pairing:visit", visit_id=visit.pk)
    return render(
        request, "pairing/visit_form.html", {"household": obj, "form": form}, status=422 if form.errors else 200
    )


def _visits_for(request: HttpRequest) -> Any:
    return Visit.objects.filter(household__in=selectors.households_for(request.user)).select_related(
        "household__address__unit", "recorded_by"
    )


@policy.permission("pairing.visit")
def visit(request: HttpRequest, visit_id: int) -> HttpResponse:
    obj = policy.get_for(request.user, "pairing.visit", _visits_for(request), pk=visit_id)
    appeal = None
    if obj.appeal_id:
        from anju.appeals.models import Appeal

        appeal = Appeal.objects.filter(pk=obj.appeal_id).first()
        if appeal is not None and not policy.can(request.user, "appeal.view", appeal):
            appeal = None  # the appeal's own policy decides who reads it, not the visit's
    return render(
        request,
        "pairing/visit.html",
        {
            "visit": obj,
            "appeal": appeal,
            "needs": [Visit.Need(n).label for n in obj.needs if n in Visit.Need.values],
            "note": screening.masked(obj.note),
            "manage": policy.can(request.user, "pairing.manage", obj),
            # a dispute found on the visit goes to mediation in one step (mediation's intake reads the visit)
            "mediate": policy.can(request.user, "mediation.open", obj),
        },
    )


@policy.permission("pairing.manage")
@require_POST
def follow_up_done(request: HttpRequest, visit_id: int) -> HttpResponse:
    obj = policy.get_for(request.user, "pairing.manage", _visits_for(request), pk=visit_id)
    try:
        services.follow_up_done(actor=request.user, visit=obj, note=request.POST.get("note", ""), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("pairing:visit", visit_id=obj.pk)


@policy.permission("pairing.manage")
@require_POST
def care(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id, "pairing.manage")
    form = forms.CareForm(request.POST)
    if form.is_valid():
        try:
            services.care_set(
                actor=request.user,
                household=obj,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        context = _household_context(request, obj, care_form=form)
        return render(request, "pairing/household.html", context, status=422)
    messages.success(request, _("Care level set."))
    return redirect("pairing:household", household_id=obj.pk)


@policy.permission("pairing.manage")
@require_POST
def pair(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id, "pairing.manage")
    centrals = selectors.centrals_visible(request.user, "pairing.manage").filter(community_id=obj.community_id)
    form = forms.PairForm(request.POST, centrals=centrals)
    if form.is_valid():
        central = centrals.filter(pk=form.cleaned_data["central"]).first()
        try:
            if central is None:
                raise ValidationError({"central": [_("Choose a central household.")]})
            services.pairing_set(
                actor=request.user, household=obj, central=central, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        return render(request, "pairing/household.html", _household_context(request, obj, pair_form=form), status=422)
    messages.success(request, _("Household paired."))
    return redirect("pairing:household", household_id=obj.pk)


@policy.permission("pairing.manage")
@require_POST
def unpair(request: HttpRequest, household_id: int) -> HttpResponse:
    obj = _household(request, household_id, "pairing.manage")
    current = Pairing.objects.filter(household=obj, ended_at__isnull=True).first()
    form = forms.EndForm(request.POST)
    if current is not None and form.is_valid():
        try:
            services.pairing_end(
                actor=request.user, pairing=current, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if current is None or form.errors:
        return render(request, "pairing/household.html", _household_context(request, obj, end_form=form), status=422)
    messages.success(request, _("Pairing ended."))
    return redirect("pairing:household", household_id=obj.pk)


# --- staff ---------------------------------------------------------------------------------------


def _community(request: HttpRequest, action: str = "pairing.view") -> OrgUnit:
    communities = list(selectors.communities_for(request.user, action))
    if not communities:
        raise PermissionDenied
    wanted = request.GET.get("community")
    return next((c for c in communities if str(c.pk) == wanted), communities[0])


@policy.permission("pairing.view")
def overview(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    centrals = list(selectors.centrals_visible(request.user).filter(community=community, is_active=True))
    loads = selectors.loads_of(centrals)
    return render(
        request,
        "pairing/overview.html",
        {
            "community": community,
            "communities": selectors.communities_for(request.user),
            "centrals": [(c, loads.get(c.pk, 0)) for c in centrals],
            "unpaired": list(selectors.unpaired(community)[:200]),
            "unpaired_count": selectors.unpaired(community).count(),
            "areas": selectors.areas_of(community),
            "follow_ups": list(selectors.open_follow_ups(request.user).filter(community=community)[:50]),
            "manage": policy.can(request.user, "pairing.manage", community),
        },
    )


@policy.permission("pairing.manage")
def central_new(request: HttpRequest) -> HttpResponse:
    community = _community(request, "pairing.manage")
    members = (
        Resident.objects.filter(
            community=community,
            status=Resident.Status.ACTIVE,
            is_party_member=True,
            household__status=Household.Status.ACTIVE,
        )
        .exclude(household__central__is_active=True)
        .select_related("household__address__unit")
        .order_by("household__unit__path", "id")
    )
    carriers = (
        User.objects.filter(OrgUnit.subtree_q(community, "grants__unit__"), is_active=True, grants__role=Role.VOLUNTEER)
        .distinct()
        .order_by("display_name")
    )
    form = forms.CentralForm(
        request.POST or None, members=members, areas=[community, *selectors.areas_of(community)], carriers=carriers
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = members.filter(pk=data["member"]).first()
        area = OrgUnit.objects.subtree_of(community).filter(pk=data["area"]).first()
        try:
            if member is None or area is None:
                raise ValidationError({"member": [_("Choose a party member living in this household.")]})
            central = services.central_designate(
                actor=request.user,
                household=member.household,
                member=member,
                area=area,
                capacity=data["capacity"],
                carrier=carriers.filter(pk=data["carrier"]).first() if data["carrier"] else None,
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Central household designated."))
            return redirect("pairing:central", central_id=central.pk)
    return render(
        request, "pairing/central_form.html", {"form": form, "community": community}, status=422 if form.errors else 200
    )


@policy.permission("pairing.view")
def central(request: HttpRequest, central_id: int) -> HttpResponse:
    obj: CentralHousehold = policy.get_for(
        request.user, "pairing.view", selectors.centrals_visible(request.user), pk=central_id
    )
    due, later = selectors.week_plan(obj)
    form = forms.CentralEditForm(request.POST or None, initial={"capacity": obj.capacity})
    manage = policy.can(request.user, "pairing.manage", obj)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.central_update(
                    actor=request.user,
                    central=obj,
                    capacity=form.cleaned_data["capacity"],
                    area=obj.area,
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("pairing:central", central_id=obj.pk)
    return render(
        request,
        "pairing/central.html",
        {"central": obj, "rows": due + later, "form": form, "manage": manage, "today": timezone.localdate()},
        status=422 if form.errors else 200,
    )


@policy.permission("pairing.manage")
def suggest(request: HttpRequest, area_id: int) -> HttpResponse:
    area = policy.get_for(
        request.user,
        "pairing.manage",
        OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.AREA, UnitKind.GRID]),
        pk=area_id,
    )
    suggestion = selectors.suggestion_for(area)
    if request.method == "POST":
        chosen = set(parse_ids(request.POST.getlist("household")))
        moves = [(m.household, m.central) for m in suggestion.moves if m.household.pk in chosen]
        try:
            made = services.suggestion_apply(actor=request.user, area=area, moves=moves, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d households paired.") % {"n": len(made)})
            return redirect("pairing:suggest", area_id=area.pk)
    return render(request, "pairing/suggest.html", {"area": area, "suggestion": suggestion})


@policy.permission("pairing.view")
def coverage(request: HttpRequest) -> HttpResponse:
    community = _community(request)
    cov = selectors.coverage_of(community)
    return render(
        request,
        "pairing/coverage.html",
        {
            "community": community,
            "communities": selectors.communities_for(request.user),
            "cov": cov,
            "overdue": cov.overdue,
            "never": cov.never,
            "cadences": selectors.cadence_rows(community),
            "cadence_form": forms.CadenceForm(),
            "manage": policy.can(request.user, "pairing.manage", community),
        },
    )


@policy.permission("pairing.manage")
@require_POST
def cadence(request: HttpRequest) -> HttpResponse:
    community = _community(request, "pairing.manage")
    form = forms.CadenceForm(request.POST)
    if form.is_valid():
        try:
            services.cadence_set(actor=request.user, community=community, request=request, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    else:
        messages.success(request, _("Cadence saved."))
    return redirect(f"{reverse('pairing:coverage')}?community={community.pk}")


@policy.permission("pairing.view")
def coverage_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    community = _community(request)
    cov = selectors.coverage_of(community, limit=None)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101  a new workbook has a sheet
    ws.title = _("Coverage")[:31]
    ws.append(safe_row([_("Level"), _("Name"), _("Households"), _("Within cadence"), _("Never visited"), "%"]))
    for kind, tallies in (
        (_("Community"), [cov.total]),
        (_("Area"), cov.by_area),
        (_("Grid"), cov.by_grid),
        (_("Building"), cov.by_building),
        (_("Central household"), cov.by_central),
    ):
        for t in tallies:
            ws.append(safe_row([kind, t.label, t.households, t.within, t.never, t.percent]))
    overdue = wb.create_sheet(_("Overdue")[:31])
    overdue.append(safe_row([_("Household"), _("Care level"), _("Last contact"), _("Due"), _("Days overdue")]))
    for r in cov.overdue:
        overdue.append(safe_row([str(r.household.address), r.level_label, r.last_contact, r.due_on, r.overdue_days]))
    buffer = BytesIO()
    wb.save(buffer)
    services.coverage_exported(actor=request.user, community=community, request=request)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="coverage-{timezone.localdate().isoformat()}.xlsx"'
    return response
