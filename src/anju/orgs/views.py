"""Pages of the org tree, departments and task forces."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core.forms import apply_service_errors
from anju.core.pagination import paginate, query_without_page
from anju.orgs import forms, selectors, services
from anju.orgs.models import KIND_RANK, Department, OrgUnit, TaskForce, TaskForceMember, UnitKind


@policy.permission("orgunit.view")
def tree(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if q or kind in UnitKind.values:
        page = paginate(
            request, selectors.orgunit_list(request.user, q=q, kind=kind if kind in UnitKind.values else "")
        )
        return render(
            request,
            "orgs/search.html",
            {"page": page, "q": q, "kind": kind, "kinds": UnitKind.choices, "query": query_without_page(request)},
        )
    tops = selectors.orgunit_top(request.user)
    return render(request, "orgs/tree.html", {"tops": tops, "kinds": UnitKind.choices, "q": q})


@policy.permission("orgunit.view")
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = policy.get_for(request.user, "orgunit.view", OrgUnit.objects.select_related("parent", "community"), pk=pk)
    children = selectors.orgunit_list(request.user, parent=unit)
    may_manage = policy.can(request.user, "orgunit.manage", unit)
    child_kinds = [(k, label) for k, label in UnitKind.choices if KIND_RANK[k] > KIND_RANK[unit.kind]]
    form = forms.OrgUnitForm(initial={"kind": child_kinds[0][0] if child_kinds else ""})
    form.fields["kind"].choices = child_kinds  # type: ignore[attr-defined]
    context = {
        "unit": unit,
        "ancestors": unit.ancestors(),
        "page": paginate(request, children, per_page=50),
        "counts": selectors.subtree_counts(unit),
        "count_rows": [
            (UnitKind(k).label, n)
            for k, n in sorted(selectors.subtree_counts(unit).items(), key=lambda kv: KIND_RANK[kv[0]])
        ],
        "departments": unit.departments.all() if policy.can(request.user, "department.view", unit) else [],
        "may_manage": may_manage and bool(child_kinds),
        "may_edit": may_manage,
        "form": form,
        "update_form": forms.OrgUnitUpdateForm(
            initial={"name": unit.name, "code": unit.code, "is_active": unit.is_active}
        ),
    }
    return render(request, "orgs/unit_detail.html", context)


@policy.permission("orgunit.manage")
def unit_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    parent = policy.get_for(request.user, "orgunit.manage", OrgUnit, pk=pk)
    form = forms.OrgUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.orgunit_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                parent=parent,
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": unit.name})
            return redirect("orgs:unit", pk=unit.pk)
    return render(request, "orgs/unit_form.html", {"form": form, "parent": parent})


@policy.permission("orgunit.manage")
@require_POST
def unit_update(request: HttpRequest, pk: int) -> HttpResponse:
    unit = policy.get_for(request.user, "orgunit.manage", OrgUnit, pk=pk)
    form = forms.OrgUnitUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.orgunit_update(
                actor=request.user,
                unit=unit,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                is_active=form.cleaned_data["is_active"],
                request=request,
            )
            messages.success(request, _("The unit has been saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Enter a name."))
    return redirect("orgs:unit", pk=unit.pk)


@policy.permission("department.view")
def departments(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    qs = selectors.departments_visible(request.user)
    if q:
        qs = qs.filter(name__icontains=q)
    if kind in Department.Kind.values:
        qs = qs.filter(kind=kind)
    units = policy.visible(
        OrgUnit.objects.filter(kind__in=services.DEPARTMENT_UNIT_KINDS), request.user, "department.manage", "path"
    )
    form = None
    if policy.can(request.user, "department.manage"):
        form = forms.DepartmentForm(request.POST or None, units=units)
        if request.method == "POST" and form.is_valid():
            try:
                dept = services.department_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    unit=form.cleaned_data["unit"],
                    phone=form.cleaned_data["phone"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s has been added.") % {"name": dept.name})
                return redirect("orgs:departments")
    elif request.method == "POST":
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    context = {
        "page": paginate(request, qs),
        "q": q,
        "kind": kind,
        "kinds": Department.Kind.choices,
        "form": form,
        "query": query_without_page(request),
    }
    return render(request, "orgs/departments.html", context)


@policy.permission("taskforce.view")
def taskforces(request: HttpRequest) -> HttpResponse:
    communities = policy.visible(OrgUnit.objects.communities(), request.user, "taskforce.manage", "path")
    form = None
    if policy.can(request.user, "taskforce.manage"):
        form = forms.TaskForceForm(request.POST or None, communities=communities)
        if request.method == "POST" and form.is_valid():
            try:
                tf = services.taskforce_create(
                    actor=request.user,
                    community=form.cleaned_data["community"],
                    name=form.cleaned_data["name"],
                    purpose=form.cleaned_data["purpose"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s has been formed.") % {"name": tf.name})
                return redirect("orgs:taskforce", pk=tf.pk)
    elif request.method == "POST":
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    page = paginate(request, selectors.taskforces_visible(request.user))
    return render(request, "orgs/taskforces.html", {"page": page, "form": form})


@policy.permission("taskforce.view")
def taskforce_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tf = policy.get_for(request.user, "taskforce.view", TaskForce.objects.select_related("community"), pk=pk)
    may_manage = policy.can(request.user, "taskforce.manage", tf)
    form = forms.TaskForceMemberForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if form is None:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                services.taskforce_add_member(actor=request.user, task_force=tf, request=request, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The member has been added."))
                return redirect("orgs:taskforce", pk=tf.pk)
    members = tf.members.select_related("user")
    return render(
        request, "orgs/taskforce_detail.html", {"tf": tf, "members": members, "form": form, "may_manage": may_manage}
    )


@policy.permission("taskforce.manage")
@require_POST
def taskforce_remove_member(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    tf = policy.get_for(request.user, "taskforce.manage", TaskForce, pk=pk)
    member = policy.get_for(
        request.user, "taskforce.manage", TaskForceMember.objects.filter(task_force=tf), pk=member_pk
    )
    services.taskforce_remove_member(actor=request.user, member=member, request=request)
    messages.success(request, _("The member has been removed."))
    return redirect("orgs:taskforce", pk=tf.pk)


@policy.permission("orgunit.view")
def unit_children(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: the children of a unit, for expanding the tree in place."""
    unit = policy.get_for(request.user, "orgunit.view", OrgUnit, pk=pk)
    children = selectors.orgunit_list(request.user, parent=unit)[:500]
    return render(request, "orgs/_children.html", {"children": children})
