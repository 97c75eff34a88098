"""Pages of contributions: the projects, a project's staff page (record, spend, approve, reverse), its public
公示 page and Excel, receipts (print / PDF), the community's settings and the yearly totals. Parse → fetch and
authorise → service → render."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.contributions import contributors, reports, selectors, services
from anju.contributions.models import Contribution, Kind, MoneyEntry, Photo, Project, Unit
from anju.core.images import image_response
from anju.core.params import parse_int
from anju.orgs.models import OrgUnit, UnitKind

# What the record form keeps when the page is shown again with an error.
FORM_FIELDS = ("contributor", "name", "quantity", "description")


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _date(value: str | None) -> date | None:
    try:
        parsed = parse_date((value or "").strip())
    except ValueError:
        return None
    return parsed if parsed is not None and 1900 <= parsed.year <= 2999 else None


def _project(request: HttpRequest, project_id: int, action: str = "contributions.view") -> Project:
    return policy.get_for(request.user, action, selectors.projects(request.user, action), pk=project_id)


def _detail(project: Project) -> HttpResponse:
    return redirect("contributions:project", project_id=project.pk)


@policy.permission("contributions.view")
def index(request: HttpRequest) -> HttpResponse:
    projects = list(selectors.projects(request.user).order_by("-created_at", "-pk")[:200])
    communities = list(
        policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), request.user, "contributions.manage", "path")
    )
    return render(
        request,
        "contributions/index.html",
        {
            "projects": projects,
            "communities": communities,
            "statuses": Project.Status.choices,
            "kinds": Kind.choices,
            "units": Unit.choices,
            "report": policy.can(request.user, "contributions.report"),
        },
    )


@policy.permission("contributions.manage")
@require_POST
def project_new(request: HttpRequest) -> HttpResponse:
    qs = policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), request.user, "contributions.manage", "path")
    community = qs.filter(pk=parse_int(request.POST.get("community") or "") or 0).first() or qs.first()
    if community is None:
        raise Http404
    goals = [
        (request.POST.get(f"goal_kind_{i}", ""), request.POST.get(f"goal_unit_{i}", ""), request.POST.get(f"goal_{i}"))
        for i in range(1, 5)
        if (request.POST.get(f"goal_{i}") or "").strip()
    ]
    try:
        project = services.project_create(
            actor=request.user,
            community=community,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            status=request.POST.get("status", Project.Status.PLANNED),
            goals=goals,
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("contributions:index")
    return _detail(project)


def _context(request: HttpRequest, p: Project, **extra: Any) -> dict[str, Any]:
    manage = policy.can(request.user, "contributions.manage", p)
    context: dict[str, Any] = {
        "project": p,
        "manage": manage,
        "approve": policy.can(request.user, "contributions.approve", p),
        "totals": selectors.totals(p),
        "money": selectors.money(p),
        "public": selectors.is_public(p.community_id),
        "photos": list(p.photos.all()),
        "errors": [],
        "form": {},
    }
    if manage:
        context.update(
            {
                "pending": list(selectors.pending_entries(p)),
                "entries": list(selectors.staff_entries(p)[: selectors.PAGE_ROWS]),
                "contributions": list(selectors.contributions(p)[: selectors.PAGE_ROWS]),
                "kinds": Kind.choices,
                "units": Unit.choices,
                "contributor_kinds": Contribution.Contributor.choices,
                "tenures": Contribution.Tenure.choices,
                "statuses": Project.Status.choices,
                "stages": Photo.Stage.choices,
                "today": timezone.localdate(),
                "hint": contributors.search_hint(request.user, p),
            }
        )
        if "contributor_q" in request.GET:  # the picker without JavaScript: a plain GET of this page
            kind = request.GET.get("contributor", "")
            q = request.GET.get("contributor_q", "")[:60]
            context["form"] = {"contributor": kind, "contributor_q": q.strip()}
            context["kind"] = kind
            context["choices"] = contributors.contributor_choices(request.user, p, kind, q)
    else:
        context["contributors"] = selectors.public_contributors(p)
    context.update(extra)
    return context


@policy.permission("contributions.view")
def project(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _project(request, project_id)
    return render(request, "contributions/project.html", _context(request, p))


@policy.permission("contributions.manage")
def contributor_search(request: HttpRequest, project_id: int) -> HttpResponse:
    """The record form's picker (an htmx fragment of radio buttons): the residents or households matching what
    was typed, within the user's reach and the project's community (``contributions.contributors``)."""
    p = _project(request, project_id, "contributions.manage")
    q = request.GET.get("contributor_q", "")[:60]
    kind = request.GET.get("contributor", "")
    return render(
        request,
        "contributions/_contributor_choices.html",
        {
            "choices": contributors.contributor_choices(request.user, p, kind, q),
            "q": q.strip() if kind in contributors.REGISTRY_KINDS else "",
            "kind": kind,
            "hint": contributors.search_hint(request.user, p),
        },
    )


@policy.permission("contributions.manage")
@require_POST
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _project(request, project_id, "contributions.manage")
    try:
        if request.POST.get("goal"):
            services.goal_set(
                actor=request.user,
                project=p,
                kind=request.POST.get("kind", ""),
                unit=request.POST.get("unit", ""),
                quantity=request.POST.get("goal"),
                request=request,
            )
        elif request.FILES.get("image"):
            services.photo_add(
                actor=request.user,
                project=p,
                stage=request.POST.get("stage", ""),
                image=request.FILES["image"],
                caption=request.POST.get("caption", ""),
                request=request,
            )
        else:
            services.project_update(
                actor=request.user,
                project=p,
                name=request.POST.get("name", p.name),
                description=request.POST.get("description", p.description),
                status=request.POST.get("status", p.status),
                request=request,
            )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    return _detail(p)


def _picked(request: HttpRequest, p: Project) -> dict[str, Any]:
    """The ``resident`` or ``household`` chosen in the record form's picker (``resident_id``, ``household_id``), and
    the name from the registry (the typed one where the registry has none); the typed name alone when nothing was
    chosen."""
    typed = request.POST.get("name", "")
    contributor = request.POST.get("contributor", "")
    # Each list names its radio buttons after its kind, so a choice left from the other list is never taken.
    if contributor not in contributors.REGISTRY_KINDS:
        return {"name": typed}
    raw = request.POST.get(f"{contributor}_id", "")
    if not raw:
        return {"name": typed}
    found = contributors.contributor_pick(request.user, p, contributor, raw)
    return {**found, "name": found["name"] or typed}


@policy.permission("contributions.manage")
@require_POST
def contribute(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _project(request, project_id, "contributions.manage")
    picked: dict[str, Any] = {"name": request.POST.get("name", "")}
    if request.POST.get("form") not in ("labour", "hours"):
        try:
            picked = _picked(request, p)
        except ValidationError as exc:
            # The page again with what was typed and the error beside the form; nothing written.
            form = {k: request.POST.get(k, "") for k in FORM_FIELDS}
            context = _context(request, p, errors=[str(m) for m in exc.messages], form=form)
            return render(request, "contributions/project.html", context, status=422)
    try:
        if request.POST.get("form") == "labour":
            c = services.labour_record(
                actor=request.user,
                project=p,
                name=request.POST.get("name", ""),
                people=request.POST.get("people", ""),
                days=request.POST.get("days", ""),
                day=_date(request.POST.get("day")),
                description=request.POST.get("description", ""),
                anonymous=bool(request.POST.get("anonymous")),
                request=request,
            )
        elif request.POST.get("form") == "hours":
            c = services.hours_import(
                actor=request.user,
                project=p,
                start=_date(request.POST.get("start")),
                end=_date(request.POST.get("end")),
                category=request.POST.get("category", ""),
                name=request.POST.get("name", ""),
                request=request,
            )
        else:
            c = services.contribution_record(
                actor=request.user,
                project=p,
                contributor=request.POST.get("contributor", ""),
                anonymous=bool(request.POST.get("anonymous")),
                kind=request.POST.get("kind", ""),
                quantity=request.POST.get("quantity", ""),
                unit=request.POST.get("unit", ""),
                tenure=request.POST.get("tenure", ""),
                value=request.POST.get("value") or None,
                day=_date(request.POST.get("day")),
                description=request.POST.get("description", ""),
                evidence=request.FILES.get("evidence"),
                request=request,
                **picked,
            )
    except ValidationError as exc:
        _errors(request, exc)
        return _detail(p)
    pending = c.money_entry is not None and c.money_entry.needs_approval
    messages.success(
        request,
        _("Recorded as receipt %(no)s; it counts once a second person approves it.") % {"no": c.receipt_no}
        if pending
        else _("Recorded as receipt %(no)s.") % {"no": c.receipt_no},
    )
    return _detail(p)


@policy.permission("contributions.manage")
@require_POST
def spend(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _project(request, project_id, "contributions.manage")
    try:
        e = services.expenditure_record(
            actor=request.user,
            project=p,
            amount=request.POST.get("amount", ""),
            day=_date(request.POST.get("day")),
            purpose=request.POST.get("purpose", ""),
            payee=request.POST.get("payee", ""),
            invoice=request.FILES.get("invoice"),
            advanced=bool(request.POST.get("advanced")),
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("Expenditure recorded; it counts once a second person approves it.")
            if e.needs_approval
            else _("Expenditure recorded."),
        )
    return _detail(p)


def _entry(request: HttpRequest, entry_id: int, action: str) -> MoneyEntry:
    return policy.get_for(
        request.user, action, MoneyEntry.objects.select_related("project", "project__community"), pk=entry_id
    )


@policy.permission("contributions.approve")
@require_POST
def entry_decide(request: HttpRequest, money_entry_id: int) -> HttpResponse:
    entry = _entry(request, money_entry_id, "contributions.approve")
    approve = request.POST.get("decision") != "reject"
    try:
        services.entry_decide(
            actor=request.user, entry=entry, approve=approve, note=request.POST.get("note", ""), request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Approved: the entry counts now.") if approve else _("Rejected."))
    return _detail(entry.project)


@policy.permission("contributions.manage")
@require_POST
def entry_reverse(request: HttpRequest, money_entry_id: int) -> HttpResponse:
    entry = _entry(request, money_entry_id, "contributions.manage")
    try:
        services.entry_reverse(actor=request.user, entry=entry, reason=request.POST.get("reason", ""), request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Reversed."))
    return _detail(entry.project)


@policy.permission("contributions.manage")
def entry_invoice(request: HttpRequest, money_entry_id: int) -> FileResponse:
    return image_response(_entry(request, money_entry_id, "contributions.manage").invoice)


def _contribution(request: HttpRequest, contribution_id: int) -> Contribution:
    return policy.get_for(
        request.user,
        "contributions.manage",
        Contribution.objects.select_related("project", "project__community", "money_entry"),
        pk=contribution_id,
    )


@policy.permission("contributions.manage")
@require_POST
def contribution_reverse(request: HttpRequest, contribution_id: int) -> HttpResponse:
    c = _contribution(request, contribution_id)
    try:
        services.contribution_reverse(
            actor=request.user, contribution=c, reason=request.POST.get("reason", ""), request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Reversed."))
    return _detail(c.project)


@policy.permission("contributions.manage")
@require_POST
def thanks(request: HttpRequest, contribution_id: int) -> HttpResponse:
    c = _contribution(request, contribution_id)
    try:
        services.thanks_post(actor=request.user, contribution=c, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The thank-you notice is on the notice board."))
    return _detail(c.project)


@policy.permission("contributions.manage")
def receipt(request: HttpRequest, contribution_id: int) -> HttpResponse:
    return reports.receipt_response(request, contribution=_contribution(request, contribution_id))


@policy.permission("contributions.manage")
def evidence(request: HttpRequest, contribution_id: int) -> FileResponse:
    return image_response(_contribution(request, contribution_id).evidence)


@policy.permission("contributions.manage")
def setting(request: HttpRequest) -> HttpResponse:
    qs = policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), request.user, "contributions.manage", "path")
    community = qs.filter(
        pk=parse_int(request.GET.get("community") or request.POST.get("community") or "") or 0
    ).first()
    community = community or qs.first()
    if community is None:
        raise Http404
    if request.method == "POST":
        try:
            services.setting_set(
                actor=request.user,
                community=community,
                public=bool(request.POST.get("public")),
                threshold=request.POST.get("threshold", ""),
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect(f"{request.path}?community={community.pk}")
    current = services.setting_of(community.pk)
    return render(
        request,
        "contributions/setting.html",
        {
            "community": community,
            "communities": list(qs),
            "setting": current,
            "threshold": services.yuan(current.approval_threshold_fen).replace(",", ""),
        },
    )


@policy.permission("contributions.report")
def report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = parse_int(request.GET.get("year") or "", minimum=2000, maximum=2999) or today.year
    return render(request, "contributions/report.html", {"data": selectors.yearly(request.user, year), "year": year})


# --- the public 公示 page ---------------------------------------------------------------------------------------------


def _public(request: HttpRequest, project_id: int) -> Project:
    p = selectors.public_project(request.user, project_id)
    if p is None:
        raise Http404
    return p


@policy.permission(policy.PUBLIC)
def public(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _public(request, project_id)
    return render(
        request,
        "contributions/public.html",
        {
            "project": p,
            "totals": selectors.totals(p),
            "money": selectors.money(p),
            "ledger": selectors.ledger(p),
            "contributors": selectors.public_contributors(p),
            "contributor_count": selectors.contributor_count(p),
            "photos": list(p.photos.all()),
            "rows": selectors.PAGE_ROWS,
        },
    )


@policy.permission(policy.PUBLIC)
def public_excel(request: HttpRequest, project_id: int) -> HttpResponse:
    p = _public(request, project_id)
    if request.GET.get("names") not in (None, "", "public"):
        return render(
            request,
            "error.html",
            {
                "status": 400,
                "title": _("Not allowed in a public export"),
                "message": _("A public export never names anonymous contributors: they show as anonymous."),
            },
            status=400,
        )
    body = reports.public_xlsx(project=p)
    response = HttpResponse(
        io.BytesIO(body).getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="project-{p.pk}.xlsx"'
    return response


@policy.permission(policy.PUBLIC)
def photo(request: HttpRequest, project_id: int, project_photo_id: int) -> FileResponse:
    p = _public(request, project_id)
    found = Photo.objects.filter(project=p, pk=project_photo_id).first()
    if found is None:
        raise Http404
    return image_response(found.image)
