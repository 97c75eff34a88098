"""Pages of the registry: parse → fetch within reach → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core import registry, replica
from anju.core.forms import apply_service_errors
from anju.core.pagination import paginate_bounded, query_without_page
from anju.core.params import parse_id
from anju.core.security import no_store
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import batches, exports, forms, selectors, services
from anju.people.importing import columns as import_columns
from anju.people.importing import template as import_sheet
from anju.people.models import Household, ImportBatch, Invitation, Resident, Tag

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter_from(request: HttpRequest) -> tuple[forms.ResidentFilterForm, selectors.ResidentFilter]:
    form = forms.ResidentFilterForm(
        request.GET or None,
        buildings=selectors.buildings_visible(request.user).select_related("community"),
        tags=selectors.tags_for(request.user),
    )
    flt = selectors.ResidentFilter()
    if form.is_valid():
        data = form.cleaned_data
        party = {"yes": True, "no": False}.get(data["party"] or "")
        flt = selectors.ResidentFilter(
            q=data["q"] or "",
            building=data["building"],
            tag=data["tag"],
            party=party,
            status=data["status"] or "active",
            exact=request.GET.get("exact", "")[:80],
        )
    return form, flt


def _exact_redirect(request: HttpRequest) -> HttpResponse | None:
    """A full mobile or ID number typed in the search box becomes its keyed hash in the URL,
    so that neither the page, its links nor the browser history hold the number."""
    token = selectors.exact_token(request.GET.get("q", "")[:60])
    if not token:
        return None
    params = request.GET.copy()
    params.pop("q", None)
    params.pop("page", None)
    params["exact"] = token
    return redirect(f"{request.path}?{params.urlencode()}")


@policy.permission("people.view")
def residents(request: HttpRequest) -> HttpResponse:
    exact = _exact_redirect(request)
    if exact is not None:
        return exact
    form, flt = _filter_from(request)
    qs = selectors.resident_search(request.user, flt)
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    page = paginate_bounded(request, qs)
    viewer = selectors.Viewer(request.user)
    rows = [viewer.row(r) for r in page.object_list]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "may_manage": policy.can(request.user, "people.manage"),
        "may_import": policy.can(request.user, "people.import"),
        "may_export": policy.can(request.user, "people.export"),
        "may_reveal": policy.can(request.user, "people.reveal"),
        "exact": flt.exact,
    }
    return render(request, "people/residents.html", context)


def _resident_context(request: HttpRequest, resident: Resident, **extra: Any) -> dict[str, Any]:
    viewer = selectors.Viewer(request.user)
    return {
        "resident": resident,
        "row": viewer.row(resident),
        "history": selectors.resident_history(resident)[:100],
        "may_manage": resident.is_active and policy.can(request.user, "people.manage", resident),
        "archive_form": forms.ArchiveForm(initial={"on_date": timezone.localdate()}),
        "revealed": {},
        "may_invite": resident.is_active and policy.can(request.user, "people.invite", resident),
        "open_invitations": [i for i in resident.invitations.all() if i.is_open],
        "identified_choices": Invitation.Identified.choices,
        "panels": registry.record_panels(request, resident),  # what other apps show on the record (honours …)
        **extra,
    }


@policy.permission("people.view")
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = policy.get_for(
        request.user, "people.view", Resident.objects.select_related("household__address__unit"), pk=pk
    )
    return render(request, "people/resident_detail.html", _resident_context(request, resident))


@policy.permission("people.reveal")
@require_POST
@never_cache  # a revealed number must not stay in a browser or proxy cache
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    resident = policy.get_for(
        request.user, "people.reveal", Resident.objects.select_related("household__address__unit"), pk=pk
    )
    form = forms.RevealForm(request.POST)
    field = request.POST.get("field", "")
    error = ""
    value = ""
    if form.is_valid() and resident.is_active:
        try:
            value = services.resident_reveal(
                actor=request.user,
                resident=resident,
                field=form.cleaned_data["field"],
                purpose=form.reveal_reason.purpose,
                reason=form.reveal_reason.text,
                request=request,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    elif not resident.is_active:
        error = _("The numbers of an archived resident are not revealed.")
    else:
        error = " ".join(str(message) for messages in form.errors.values() for message in messages)
    context = {"resident": resident, "field": field, "value": value, "error": error}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "people/_revealed.html", context, status=200 if value else 422)
    if error:
        messages.error(request, error)
        return redirect("people:resident", pk=resident.pk)
    return render(
        request,
        "people/resident_detail.html",
        _resident_context(request, resident, revealed={field: value}),
    )


def _tags_of(community_id: int) -> Any:
    return Tag.objects.filter(community_id=community_id, is_active=True).order_by("sort_order", "name")


def _service_person_fields(data: dict[str, Any], *, editing: bool) -> dict[str, Any]:
    fields = {
        "name": data["name"],
        "relation": data["relation"],
        "gender": data["gender"],
        "birth_date": data["birth_date"] or None,
        "is_party_member": data["is_party_member"],
        "party_branch": data["party_branch"],
    }
    for secret in ("id_number", "mobile"):
        if data[secret] or not editing:
            fields[secret] = data[secret]
    return fields


@policy.permission("people.manage")
def resident_new(request: HttpRequest) -> HttpResponse:
    """新增居民: address and person on one page; the household is found, or registered with the resident."""
    buildings = selectors.buildings_visible(request.user, "people.manage").select_related("community")
    tags = selectors.tags_for(request.user)
    form = forms.ResidentNewForm(request.POST or None, buildings=buildings, tags=tags)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = policy.get_for(
            request.user, "people.manage", OrgUnit.objects.filter(kind=UnitKind.BUILDING), pk=data["building"]
        )
        try:
            resident = services.resident_register(
                actor=request.user,
                unit=unit,
                entrance=data["entrance"],
                door=data["door"],
                number=data["number"],
                tags=[t for t in tags if str(t.pk) in data["tags"] and t.community_id == unit.community_id],
                request=request,
                **_service_person_fields(data, editing=False),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The resident has been registered."))
            return redirect("people:resident", pk=resident.pk)
    return render(request, "people/resident_form.html", {"form": form, "household": None, "resident": None})


@policy.permission("people.manage")
def resident_create(request: HttpRequest) -> HttpResponse:
    household = policy.get_for(
        request.user,
        "people.manage",
        Household.objects.select_related("address__unit").filter(status=Household.Status.ACTIVE),
        pk=parse_id(request.GET.get("household") or request.POST.get("household")),
    )
    tags = _tags_of(household.community_id)
    form = forms.ResidentForm(request.POST or None, tags=tags)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = services.resident_create(
                actor=request.user,
                household=household,
                tags=[t for t in tags if str(t.pk) in data["tags"]],
                request=request,
                **_service_person_fields(data, editing=False),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The resident has been registered."))
            return redirect("people:resident", pk=resident.pk)
    return render(request, "people/resident_form.html", {"form": form, "household": household, "resident": None})


@policy.permission("people.manage")
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = policy.get_for(
        request.user, "people.manage", Resident.objects.select_related("household__address__unit"), pk=pk
    )
    if not resident.is_active:
        messages.error(request, _("An archived resident cannot be changed."))
        return redirect("people:resident", pk=resident.pk)
    tags = _tags_of(resident.community_id)
    initial = {
        "name": resident.name,
        "relation": resident.relation,
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat() if resident.birth_date else "",
        "is_party_member": resident.is_party_member,
        "party_branch": resident.party_branch,
        "tags": [str(pk) for pk in resident.tags.values_list("pk", flat=True)],
    }
    form = forms.ResidentForm(request.POST or None, tags=tags, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.resident_update(
                actor=request.user,
                resident=resident,
                changes=_service_person_fields(data, editing=True),
                tags=[t for t in tags if str(t.pk) in data["tags"]],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The resident has been saved."))
            return redirect("people:resident", pk=resident.pk)
    context = {"form": form, "household": resident.household, "resident": resident}
    return render(request, "people/resident_form.html", context)


@policy.permission("people.manage")
@require_POST
def resident_archive(request: HttpRequest, pk: int) -> HttpResponse:
    resident = policy.get_for(request.user, "people.manage", Resident, pk=pk)
    form = forms.ArchiveForm(request.POST)
    if form.is_valid():
        try:
            services.resident_archive(
                actor=request.user,
                resident=resident,
                reason=form.cleaned_data["reason"],
                on_date=form.cleaned_data["on_date"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The resident has been archived; the history keeps them."))
    else:
        messages.error(request, _("Choose why and when."))
    return redirect("people:resident", pk=resident.pk)


@policy.permission("people.view")
def households(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    building = request.GET.get("building", "")
    status = request.GET.get("status", "active")
    building_id = parse_id(building)
    qs = selectors.household_list(request.user, q=q, building=building_id, status=status)
    page = paginate_bounded(request, qs)
    viewer = selectors.Viewer(request.user)
    for household in page.object_list:
        household.label = viewer.household_label(household, number=False)
    context = {
        "page": page,
        "q": q,
        "building": building_id,
        "status": status,
        "buildings": selectors.buildings_visible(request.user).select_related("community"),
        "query": query_without_page(request),
        "may_manage": policy.can(request.user, "people.manage"),
    }
    return render(request, "people/households.html", context)


@policy.permission("people.view")
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = policy.get_for(
        request.user, "people.view", Household.objects.select_related("address__unit", "community"), pk=pk
    )
    viewer = selectors.Viewer(request.user)
    members = selectors.resident_search(
        request.user, selectors.ResidentFilter(household=household.pk, status="all")
    ).select_related("household__address__unit")
    context = {
        "household": household,
        "label": viewer.household_label(household),
        "members": [viewer.row(m) for m in members],
        "may_manage": household.status == Household.Status.ACTIVE
        and policy.can(request.user, "people.manage", household),
        "panels": registry.record_panels(request, household),  # what other apps show on the record (honours …)
    }
    return render(request, "people/household_detail.html", context)


@policy.permission("people.manage")
def household_create(request: HttpRequest) -> HttpResponse:
    buildings = selectors.buildings_visible(request.user, "people.manage").select_related("community")
    form = forms.HouseholdForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        unit = policy.get_for(
            request.user,
            "people.manage",
            OrgUnit.objects.filter(kind=UnitKind.BUILDING),
            pk=form.cleaned_data["building"],
        )
        try:
            household = services.household_create(
                actor=request.user,
                unit=unit,
                entrance=form.cleaned_data["entrance"],
                door=form.cleaned_data["door"],
                number=form.cleaned_data["number"],
                is_central=form.cleaned_data["is_central"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The household has been registered; now add its members."))
            return redirect("people:household", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form})


@policy.permission("people.manage")
@require_POST
def household_archive(request: HttpRequest, pk: int) -> HttpResponse:
    household = policy.get_for(request.user, "people.manage", Household, pk=pk)
    try:
        services.household_archive(actor=request.user, household=household, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The household has been archived."))
    return redirect("people:household", pk=household.pk)


# --- import and export ---------------------------------------------------------------------


@policy.permission("people.import")
def import_start(request: HttpRequest) -> HttpResponse:
    communities = selectors.communities_for(request.user, "people.import")
    form = forms.ImportForm(request.POST or None, request.FILES or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        community = policy.get_for(request.user, "people.import", communities, pk=form.cleaned_data["community"])
        upload = form.cleaned_data["file"]
        if upload.size > import_columns.IMPORT_MAX_BYTES:
            # Refused before the file is read into memory or parsed.
            form.add_error(
                "file",
                _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": f"{import_columns.IMPORT_MAX_BYTES / 1048576:.0f}"},
            )
        else:
            try:
                batch = batches.import_start(
                    actor=request.user,
                    community=community,
                    filename=upload.name or "",
                    data=upload.read(),
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("people:import_batch", pk=batch.pk)
    recent = selectors.batches_for(request.user)[:10]
    return render(request, "people/import.html", {"form": form, "recent": recent})


@policy.permission("people.import")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(import_sheet.build_template(), content_type=XLSX)
    response["Content-Disposition"] = (
        'attachment; filename="residents-template.xlsx"; '
        "filename*=UTF-8''%E5%B1%85%E6%B0%91%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return no_store(response)


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    batch: ImportBatch = policy.get_for(request.user, "people.import", selectors.batches_for(request.user), pk=pk)
    return batch


@policy.permission("people.import")
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "people/import_batch.html", {"batch": _batch(request, pk)})


@policy.permission("people.import")
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    response = render(request, "people/_import_status.html", {"batch": batch})
    if not batch.is_running and request.htmx:  # type: ignore[attr-defined]
        # Finished: reload the whole page once to show the report and the next step.
        response["HX-Refresh"] = "true"
    return response


@policy.permission("people.import")
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batches.import_commit(actor=request.user, batch=batch, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:import_batch", pk=batch.pk)


@policy.permission("people.export")
@replica.reads
def export(request: HttpRequest) -> HttpResponse:
    _form, flt = _filter_from(request)
    qs = selectors.resident_search(request.user, flt)
    unmasked = request.method == "POST" and request.POST.get("unmasked") == "1"
    if request.method == "POST" and not unmasked:
        raise PermissionDenied
    if unmasked:
        if not policy.can(request.user, "people.reveal"):
            raise PermissionDenied
        qs = qs.filter(selectors.reach_q(request.user, "people.reveal"))
    try:
        data = exports.export_residents(
            actor=request.user,
            residents=qs,
            unmasked=unmasked,
            purpose=request.POST.get("purpose", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{request.path.replace('export/', '')}?{request.GET.urlencode()}")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="residents.xlsx"'
    return no_store(response)  # masked or not, a list of residents is never cached


@policy.permission("people.tags.manage")
def tags(request: HttpRequest) -> HttpResponse:
    communities = selectors.communities_for(request.user, "people.tags.manage")
    form = forms.TagForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        community = policy.get_for(request.user, "people.tags.manage", communities, pk=form.cleaned_data["community"])
        try:
            services.tags_ensure_default(community=community)
            services.tag_create(
                actor=request.user, community=community, name=form.cleaned_data["name"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The tag has been added."))
            return redirect("people:tags")
    tag_list = policy.visible(
        Tag.objects.select_related("community"), request.user, "people.tags.manage", "community__path"
    )
    return render(
        request, "people/tags.html", {"form": form, "tags": tag_list.order_by("community__path", "sort_order")}
    )
