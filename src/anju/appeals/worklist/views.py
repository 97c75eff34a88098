"""The appeal list a worker lives in: queues, search and filters kept in the URL, the Excel export of exactly
what is filtered, and bulk accept / dispatch / reminder with one confirmation page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.appeals import selectors, steps
from anju.appeals.forms import AppealFilterForm
from anju.appeals.models import Appeal
from anju.appeals.policies import liaison_departments
from anju.appeals.requesters import services as requesters
from anju.appeals.worklist import exports
from anju.appeals.worklist import services as worklist
from anju.core import replica
from anju.core.pagination import paginate_bounded, query_without_page
from anju.core.params import parse_id, parse_ids
from anju.orgs.models import Department


@dataclass
class ListState:
    view: str
    tabs: list[tuple[str, str]]
    form: AppealFilterForm
    rows: QuerySet[Appeal]
    insider: bool
    filters: dict[str, Any]


def _tabs(user: Any) -> list[tuple[str, str]]:
    tabs = []
    if policy.can(user, "appeal.triage"):
        tabs.append(("worker", _("Community queue")))
    if liaison_departments(user):
        tabs.append(("department", _("Department queue")))
    tabs.append(("mine", _("My appeals")))
    tabs.append(("all", _("All I can see")))
    return tabs


def list_state(request: HttpRequest, params: QueryDict) -> ListState:
    """The queue, search and filters of ``params``, read the same way by the list and by its export."""
    user = request.user
    tabs = _tabs(user)
    view, qs = selectors.queue(user, params.get("view") or tabs[0][0])
    insider = policy.can(user, "appeal.inside")
    form = AppealFilterForm(params, **selectors.filter_choices(user))
    form.is_valid()
    criteria = selectors.AppealFilter(
        q=form.value("q") or "",
        status=form.value("status") or "",
        category_id=parse_id(form.value("category")),
        department_id=parse_id(form.value("department")),
        community_id=parse_id(params.get("community", "")),
        grid_id=parse_id(form.value("grid")),
        urgency=form.value("urgency") or "",
        deadline=form.value("deadline") or "",
        start=form.value("start"),
        end=form.value("end"),
        pending=params.get("pending") == "1",
    )
    filters = {k: str(v) for k, v in vars(criteria).items() if v}
    return ListState(view, tabs, form, selectors.filter_appeals(qs, criteria, insider=insider), insider, filters)


@policy.permission("appeal.view")
def appeal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    state = list_state(request, request.GET)
    # Cost follows the page: a bounded count, then the page's rows with only what they show.
    page = paginate_bounded(request, selectors.list_rows(state.rows, insider=state.insider))
    now = timezone.now()
    selectors.with_row_names(page.object_list, user)
    rows = [
        {
            "appeal": a,
            "contact": requesters.contact_masked(a) if state.insider else None,
            "state": selectors.deadline_state(a.due_at if a.is_open else None, now),
        }
        for a in page.object_list
    ]
    query = query_without_page(request)
    # On a phone the filters are folded; they stay open while any is applied (or one needs correcting).
    filtered = bool(set(state.filters) - {"q", "pending", "community"}) or bool(state.form.errors)
    return render(
        request,
        "appeals/list.html",
        {
            "page": page,
            "rows": rows,
            "now": now,
            "tabs": state.tabs,
            "view": state.view,
            "form": state.form,
            "filtered": filtered,
            "insider": state.insider,
            "query": query,
            "may_file": policy.can(user, "appeal.file"),
            "may_export": policy.can(user, "appeal.export"),
            "may_bulk": state.view != "mine" and policy.can(user, "appeal.triage"),
            "bulk_steps": worklist.BULK_STEPS,
        },
    )


@policy.permission("appeal.export")
@replica.reads
def appeal_export(request: HttpRequest) -> HttpResponse:
    """The filtered list (every page of it) as an Excel workbook, personal data masked as on the page."""
    state = list_state(request, request.GET)
    response, count = exports.appeals_xlsx(state.rows.iterator(chunk_size=500), insider=state.insider)
    worklist.appeals_export_record(
        actor=request.user, rows=count, filters={"view": state.view, **state.filters}, request=request
    )
    return response


def _departments_for(appeals: list[Appeal]) -> QuerySet[Department]:
    paths: set[str] = set()
    for a in appeals:
        paths.update([*a.community.ancestor_paths, a.community.path])
    return Department.objects.filter(is_active=True, unit__path__in=sorted(paths)).order_by("name")


@policy.permission("appeal.triage")
@require_POST
def appeal_bulk(request: HttpRequest) -> HttpResponse:
    """Step 1 (no ``confirm``): the confirmation page listing each selected appeal and what will happen to it.
    Step 2 (``confirm``): each appeal through the step table; the page says what was done and what was
    refused, and why."""
    user = request.user
    step = request.POST.get("step", "")
    ids = parse_ids(request.POST.getlist("ids"))[: worklist.BULK_MAX + 1]
    appeals = list(
        selectors.appeals_visible(user).filter(pk__in=ids).select_related("community").order_by("due_at", "id")
    )
    back = request.POST.get("back", "")
    back = back if back.startswith("?") or not back else ""  # only a query of the list itself
    context: dict[str, Any] = {
        "step": step,
        "step_label": worklist.BULK_STEPS.get(step, ""),
        "appeals": appeals,
        "back": back,
        "missing": max(0, len(set(ids)) - len(appeals)),
    }
    error = ""
    if step not in worklist.BULK_STEPS:
        error = _("Choose what to do with the selected appeals.")
    elif not appeals:
        error = _("Select at least one appeal.")
    elif len(appeals) > worklist.BULK_MAX:
        error = _("Select at most %(max)d appeals at a time.") % {"max": worklist.BULK_MAX}
    if error:
        context["error"] = error
        return render(request, "appeals/bulk.html", context, status=422)
    if step == "dispatch":
        context["departments"] = _departments_for(appeals)
    if request.POST.get("confirm") != "1":
        return render(request, "appeals/bulk.html", context)
    data = steps.StepInput(note=request.POST.get("note", ""), department_id=parse_id(request.POST.get("department")))
    try:
        result = worklist.appeals_bulk_take(actor=user, appeals=appeals, step=step, data=data, request=request)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "appeals/bulk.html", context, status=422)
    context["result"] = result
    return render(request, "appeals/bulk.html", context)
