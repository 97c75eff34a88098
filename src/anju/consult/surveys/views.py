"""Pages of opinion collection: the resident's (a survey on a phone, answered in one go), the volunteer's (answer
on a resident's behalf at the door), the worker's desktop pages (paper forms one household after another, a
meeting's show of hands), results and participation."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.consult.models import Survey
from anju.consult.models.surveys import Channel, Per
from anju.consult.surveys import forms, selectors, services
from anju.core import screening
from anju.core.excel import safe_row
from anju.core.forms import apply_service_errors
from anju.core.params import parse_id
from anju.people import selectors as people_selectors
from anju.people.models import Household, Resident


def _survey(request: HttpRequest, survey_id: int, action: str) -> Survey:
    return policy.get_for(request.user, action, selectors.surveys_for(request.user), pk=survey_id)


def _errors(exc: ValidationError) -> list[str]:
    return [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else list(exc.messages)


def _new_form(request: HttpRequest, data: Any = None) -> forms.SurveyForm | None:
    """The new-survey form for those who run surveys (its topics within their reach), else None."""
    if not policy.can(request.user, "consult.survey_manage"):
        return None
    wanted = parse_id(request.GET.get("topic"))
    return forms.SurveyForm(data, topics=selectors.topics_to_ask(request.user), initial={"topic": wanted})


def _list_context(request: HttpRequest, form: forms.SurveyForm | None) -> dict[str, Any]:
    communities = people_selectors.communities_for(request.user, "consult.survey_manage")
    topic = form.initial.get("topic") if form is not None else None
    community = next((t.community_id for t in form.topics if t.pk == topic), None) if form is not None else None
    return {
        "surveys": list(selectors.surveys_for(request.user)[:100]),
        "manage": form is not None,
        "form": form,
        "communities": communities,
        "community_id": community,
    }


@policy.permission("consult.survey_view")
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "consult/surveys/list.html", _list_context(request, _new_form(request)))


@policy.permission("consult.survey_manage")
@require_POST
def survey_new(request: HttpRequest) -> HttpResponse:
    communities = people_selectors.communities_for(request.user, "consult.survey_manage")
    community = communities.filter(pk=parse_id(request.POST.get("community")) or 0).first() or communities.first()
    form = _new_form(request, request.POST)
    assert form is not None  # noqa: S101  the permission above
    if community is not None and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                actor=request.user,
                community=community,
                title=data["title"],
                description=data["description"],
                per=data["per"],
                topic=form.topic_picked(),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("consult:survey", survey_id=survey.pk)
    return render(request, "consult/surveys/list.html", _list_context(request, form), status=422)


def _detail_context(request: HttpRequest, survey: Survey, **extra: Any) -> dict[str, Any]:
    me = selectors.resident_for(request.user)
    mine = me is not None and me.community_id == survey.community_id
    manage = policy.can(request.user, "consult.survey_manage", survey)
    context: dict[str, Any] = {
        "survey": survey,
        "description": screening.masked(survey.description),
        "questions": selectors.questions_of(survey),
        "me": me if mine else None,
        "answered": selectors.answered(survey, me) if mine else False,
        "manage": manage,
        "assist": policy.can(request.user, "consult.survey_assist", survey),
        "enter": policy.can(request.user, "consult.survey_enter", survey),
        "results": policy.can(request.user, "consult.survey_results", survey),
        "question_form": forms.QuestionForm() if manage and survey.status == Survey.Status.DRAFT else None,
        "selected": {},
        "errors": [],
    }
    context.update(extra)
    context["rows"] = form_rows(context["questions"], context["selected"])
    return context


@policy.permission("consult.survey_view")
def survey(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_view")
    return render(request, "consult/surveys/detail.html", _detail_context(request, obj))


def _selected(data: Any) -> dict[str, list[str]]:
    return {k: data.getlist(k) for k in data if k.startswith("q")}


def form_rows(questions: list[Any], selected: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each question with its inputs, the values sent back ticked (a form shown again after an error)."""
    rows = []
    for q in questions:
        key = f"q{q.pk}"
        sent = selected.get(key, [])
        rows.append(
            {
                "q": q,
                "key": key,
                "options": [
                    {"pk": o.pk, "n": n, "label": o.label, "checked": str(o.pk) in sent}
                    for n, o in enumerate(q.options.all(), start=1)
                ],
                "ratings": [{"value": v, "checked": str(v) in sent} for v in range(1, q.rating_max + 1)],
                "value": sent[0] if sent else "",
            }
        )
    return rows


@policy.permission("consult.survey_answer")
@require_POST
def survey_answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_answer")
    me = selectors.resident_for(request.user)
    try:
        if me is None or me.community_id != obj.community_id:
            raise ValidationError(
                _("Your account is not matched to a household of this community: ask a volunteer or the station.")
            )
        services.survey_answer(
            actor=request.user,
            survey=obj,
            household=me.household,
            resident=me,
            channel=Channel.ONLINE,
            answers=forms.answers_from_form(selectors.questions_of(obj), request.POST),
            request=request,
        )
    except ValidationError as exc:
        context = _detail_context(request, obj, errors=_errors(exc), selected=_selected(request.POST))
        return render(request, "consult/surveys/detail.html", context, status=422)
    messages.success(request, _("Thank you: your answer is counted."))
    return redirect("consult:survey", survey_id=obj.pk)


@policy.permission("consult.survey_manage")
@require_POST
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_manage")
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.question_add(
                actor=request.user,
                survey=obj,
                kind=data["kind"],
                text=data["text"],
                options=data["options"].splitlines(),
                rating_max=data["rating_max"],
                required=data["required"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("consult:survey", survey_id=obj.pk)
    return render(request, "consult/surveys/detail.html", _detail_context(request, obj, question_form=form), status=422)


@policy.permission("consult.survey_manage")
@require_POST
def survey_open(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_manage")
    try:
        services.survey_open(actor=request.user, survey=obj, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    return redirect("consult:survey", survey_id=obj.pk)


@policy.permission("consult.survey_manage")
@require_POST
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_manage")
    try:
        services.survey_close(actor=request.user, survey=obj, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, _("The survey is closed: no more answers are taken."))
    return redirect("consult:survey", survey_id=obj.pk)


# --- on a resident's behalf: at the door (assisted) and from paper forms ---------------------------


def _find_household(
    request: HttpRequest, obj: Survey, data: Any
) -> tuple[Household | None, Resident | None, list[str]]:
    """The household named by the door number typed (in the building chosen), and, per person, the resident
    named; or the errors to show."""
    door = str(data.get("door", "")).strip()
    building = parse_id(data.get("building"))
    if not door:
        return None, None, [_("Type the door number written on the form.")]
    found = selectors.household_by_door(obj, request.user, door, building)
    if not found:
        return None, None, [_("No household at door %(door)s within your reach.") % {"door": door}]
    if len(found) > 1:
        return None, None, [_("Door %(door)s is in more than one building: choose the building.") % {"door": door}]
    household = found[0]
    if obj.per != Per.PERSON:
        return household, None, []
    name = " ".join(str(data.get("name", "")).split())
    members = list(household.members.filter(status=Resident.Status.ACTIVE, archived_at__isnull=True))
    resident = next((m for m in members if m.name == name), None)
    if resident is None:
        return household, None, [_("Type the name of a resident of this household: one answer per person.")]
    return household, resident, []


def _on_behalf(request: HttpRequest, survey_id: int, channel: str, action: str, template: str) -> HttpResponse:
    obj = _survey(request, survey_id, action)
    questions = selectors.questions_of(obj)
    context: dict[str, Any] = {
        "survey": obj,
        "questions": questions,
        "buildings": selectors.buildings_of(obj, request.user),
        "building": parse_id(request.POST.get("building") or request.GET.get("building")),
        "errors": [],
        "selected": {},
        "door": "",
        "name": "",
        "entered": selectors.results(obj).by_channel,
    }
    if request.method != "POST":
        context["rows"] = form_rows(questions, {})
        return render(request, template, context)
    household, resident, errors = _find_household(request, obj, request.POST)
    if not errors and household is not None:
        try:
            answers = (
                forms.answers_from_paper(questions, request.POST)
                if channel == Channel.PAPER
                else forms.answers_from_form(questions, request.POST)
            )
            services.survey_answer(
                actor=request.user,
                survey=obj,
                household=household,
                resident=resident,
                channel=channel,
                answers=answers,
                request=request,
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Recorded: %(household)s.") % {"household": household})
            url = reverse(f"consult:survey_{channel}", kwargs={"survey_id": obj.pk})
            return redirect(f"{url}?building={context['building'] or ''}")
    context.update(
        errors=errors,
        selected=_selected(request.POST),
        door=request.POST.get("door", ""),
        name=request.POST.get("name", ""),
    )
    context["rows"] = form_rows(questions, context["selected"])
    return render(request, template, context, status=422)


@policy.permission("consult.survey_enter")
def survey_paper(request: HttpRequest, survey_id: int) -> HttpResponse:
    return _on_behalf(request, survey_id, Channel.PAPER, "consult.survey_enter", "consult/surveys/paper.html")


@policy.permission("consult.survey_assist")
def survey_assisted(request: HttpRequest, survey_id: int) -> HttpResponse:
    return _on_behalf(request, survey_id, Channel.ASSISTED, "consult.survey_assist", "consult/surveys/assist.html")


# --- a meeting's show of hands ------------------------------------------------------------------


@policy.permission("consult.survey_enter")
def survey_tally(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_enter")
    questions = [q for q in selectors.questions_of(obj) if q.has_options]
    wanted = parse_id(request.POST.get("question") or request.GET.get("question"))
    current = next((q for q in questions if q.pk == wanted), questions[0] if questions else None)
    meetings = list(selectors.meetings_for_tally(obj))
    form = forms.TallyForm(
        request.POST or None,
        survey=obj,
        meetings=meetings,
        initial={"held_on": timezone.localdate(), "question": current.pk if current else None},
    )
    errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            question = next(q for q in questions if q.pk == data["question"])
            votes = {}
            for n, option in enumerate(question.options.all(), start=1):
                raw = request.POST.get(f"votes_{n}", "").strip()
                value = parse_id(raw) if raw not in ("", "0") else 0
                if raw and value is None:
                    errors.append(_("Type the hands for option %(n)d as a number.") % {"n": n})
                votes[option.pk] = value or 0
            if not errors:
                try:
                    services.tally_record(
                        actor=request.user,
                        survey=obj,
                        question=question,
                        meeting=next((m for m in meetings if m.pk == data["meeting_id"]), None),
                        meeting_label=data["meeting"],
                        held_on=data["held_on"],
                        attendance=data["attendance"],
                        votes=votes,
                        request=request,
                    )
                except ValidationError as exc:
                    errors = _errors(exc)
                else:
                    messages.success(request, _("Show of hands recorded."))
                    return redirect("consult:survey_tally", survey_id=obj.pk)
        return render(
            request,
            "consult/surveys/tally.html",
            {
                "survey": obj,
                "questions": questions,
                "current": current,
                "form": form,
                "errors": errors,
                "posted": request.POST,
            },
            status=422,
        )
    return render(
        request,
        "consult/surveys/tally.html",
        {"survey": obj, "questions": questions, "current": current, "form": form, "errors": errors, "posted": {}},
    )


# --- results and participation ------------------------------------------------------------------


@policy.permission("consult.survey_results")
def survey_results(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_results")
    return render(
        request,
        "consult/surveys/results.html",
        {
            "survey": obj,
            "r": selectors.results(obj),
            "export": policy.can(request.user, "consult.survey_manage", obj),
        },
    )


@policy.permission("consult.survey_manage")
def survey_results_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    from openpyxl import Workbook

    obj = _survey(request, survey_id, "consult.survey_manage")
    r = selectors.results(obj)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101  a new workbook has a sheet
    ws.title = _("Results")[:31]
    ws.append(safe_row([obj.title]))
    ws.append(safe_row([_("Answered"), r.participants, _("Households"), r.of]))
    for c in r.by_channel:
        ws.append(safe_row([_("Channel"), c.label, c.count]))
    for q in r.questions:
        ws.append([])
        ws.append(safe_row([q.question.text]))
        for row in [*q.options, *q.ratings]:
            ws.append(safe_row([row.label, row.count, f"{row.share}%"]))
        for text in q.texts:
            ws.append(safe_row([text]))
        for t in q.tallies:
            ws.append(safe_row([_("Show of hands"), t.meeting, t.held_on, _("attendance"), t.attendance]))
            for row in t.counts:
                ws.append(safe_row(["", row.label, row.count]))
    buildings = wb.create_sheet(_("Buildings")[:31])
    buildings.append(safe_row([_("Building"), _("Answered"), _("Households"), "%"]))
    for b in r.by_building:
        buildings.append(safe_row([b.name, b.answered, b.of, b.share]))
    buffer = BytesIO()
    wb.save(buffer)
    services.results_exported(actor=request.user, survey=obj, request=request)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{obj.pk}-results.xlsx"'
    return response


@policy.permission("consult.survey_assist")
def survey_participation(request: HttpRequest, survey_id: int) -> HttpResponse:
    obj = _survey(request, survey_id, "consult.survey_assist")
    return render(
        request,
        "consult/surveys/participation.html",
        {"survey": obj, "groups": selectors.participation(obj, request.user)},
    )
