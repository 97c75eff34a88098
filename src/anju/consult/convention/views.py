"""Pages of the convention: the resident's phone page (the convention in force, acknowledge it; comment on an
article during public comment), a version's page (articles, comments, amendments and their published reasons;
the staff's lifecycle steps on a desktop), the diff of a revision, coverage with the households to visit, and
the A4 poster and booklet (PDF on request).

Every POST goes to one service; a refused input re-renders the page with the error (422), nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.convention import forms, selectors, services
from anju.consult.models import Amendment, Article, ConventionVersion, VersionStatus
from anju.core import printing, screening
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import selectors as pairing_selectors
from anju.people.models import Household

MAX_SERVED = 300


def _version(request: HttpRequest, version_id: int, action: str = "convention.view") -> ConventionVersion:
    return policy.get_for(request.user, action, selectors.versions_visible(request.user), pk=version_id)


def _served(request: HttpRequest) -> list[Household]:
    """Households the user may type comments and paper signatures for (a central household's own; staff: the
    community's first ones — staff record paper signatures from the coverage page)."""
    if not policy.can(request.user, "convention.assist"):
        return []
    return list(
        pairing_selectors.households_for(request.user).order_by("unit__path", "address__door", "id")[:MAX_SERVED]
    )


@policy.permission("convention.view")
def mine(request: HttpRequest) -> HttpResponse:
    """The convention in force of one's community, on the phone: read it, acknowledge it, print it."""
    household = services.household_of(request.user)
    rows = [(v, selectors.acknowledged_by(v, household)) for v in selectors.in_force_for(request.user)]
    return render(
        request,
        "consult/convention/mine.html",
        {
            "rows": rows,
            "household": household,
            "commenting": selectors.open_for_comment(request.user),
            "manage": policy.can(request.user, "convention.manage"),
        },
    )


def _detail_context(request: HttpRequest, version: ConventionVersion, **extra: Any) -> dict[str, Any]:
    manage = selectors.may_manage(request.user, version)
    articles = selectors.articles_of(version)
    comments: dict[int, list[Any]] = {}
    for c in selectors.comments_of(version).select_related("household__address__unit"):
        comments.setdefault(c.article_id, []).append((c, screening.masked(c.body)))
    household = services.household_of(request.user)
    context: dict[str, Any] = {
        "version": version,
        "articles": [(a, comments.get(a.pk, [])) for a in articles],
        "amendments": [(a, screening.masked(a.rationale)) for a in selectors.amendments_of(version)],
        "manage": manage,
        "household": household,
        "acknowledged": selectors.acknowledged_by(version, household),
        "may_comment": version.status == VersionStatus.COMMENT and policy.can(request.user, "convention.comment"),
        "served": _served(request) if version.status == VersionStatus.COMMENT else [],
        "amendment_form": forms.AmendmentForm(),
        "statuses": VersionStatus,
        "errors": [],
    }
    if manage:
        context.update(
            article_form=forms.ArticleForm(),
            open_form=forms.OpenCommentForm(),
            adopt_form=forms.AdoptForm(),
            enact_form=forms.EnactForm(),
            revise_form=forms.ReviseForm(),
            decide_form=forms.DecideForm(),
            versions=list(version.convention.versions.order_by("-number")),
            quorum_rule=services.quorum_rule_text(),
            eligible_households=services.eligible_households(version.community_id),
        )
    context.update(extra)
    return context


@policy.permission("convention.view")
def detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    return render(request, "consult/convention/detail.html", _detail_context(request, version))


def _act(
    request: HttpRequest,
    version: ConventionVersion,
    form: django_forms.Form,
    run: Callable[[dict[str, Any]], Any],
    done: str,
    *,
    to: str = "",
) -> HttpResponse:
    """Validate ``form``, run the service; on success redirect with ``done``, else re-render with the error."""
    errors: list[str] = []
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ValidationError as exc:
            errors = [str(m) for m in exc.messages]
        else:
            messages.success(request, done)
            return redirect(to or reverse("consult:convention_detail", args=[version.pk]))
    else:
        errors = [
            f"{form.fields[f].label or ''}: {m}" if f in form.fields else str(m)
            for f, ms in form.errors.items()
            for m in ms
        ]
    context = _detail_context(request, version, errors=errors)
    return render(request, "consult/convention/detail.html", context, status=422)


@policy.permission("convention.comment")
@require_POST
def comment(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id, "convention.comment")

    def run(data: dict[str, Any]) -> Any:
        article = policy.get_for(
            request.user, "convention.comment", Article.objects.filter(version=version), pk=data["article"]
        )
        household = None
        if data.get("household"):
            household = policy.get_for(request.user, "convention.assist", Household.objects.all(), pk=data["household"])
        return services.comment_add(
            actor=request.user, article=article, body=data["body"], household=household, request=request
        )

    return _act(request, version, forms.CommentForm(request.POST), run, _("Thank you: your comment is recorded."))


@policy.permission("convention.comment")
@require_POST
def propose(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id, "convention.comment")

    def run(data: dict[str, Any]) -> Any:
        article = None
        if data.get("article"):
            article = Article.objects.filter(version=version, number=data["article"]).first()
            if article is None:
                raise ValidationError(_("Choose an article of this version."))
        return services.amendment_propose(
            actor=request.user,
            version=version,
            kind=data["kind"],
            article=article,
            title=data["title"],
            body=data["body"],
            rationale=data["rationale"],
            request=request,
        )

    return _act(request, version, forms.AmendmentForm(request.POST), run, _("The amendment is proposed."))


@policy.permission("convention.acknowledge")
@require_POST
def acknowledge(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id, "convention.acknowledge")
    try:
        services.acknowledge(actor=request.user, version=version, request=request)
    except ValidationError as exc:
        rows = [
            (v, selectors.acknowledged_by(v, services.household_of(request.user)))
            for v in selectors.in_force_for(request.user)
        ]
        context = {
            "rows": rows,
            "errors": exc.messages,
            "household": services.household_of(request.user),
            "commenting": [],
        }
        return render(request, "consult/convention/mine.html", context, status=422)
    messages.success(request, _("Thank you: your household has acknowledged the convention."))
    return redirect("consult:convention_mine")


# --- staff ------------------------------------------------------------------------------------


@policy.permission("convention.manage")
def manage(request: HttpRequest) -> HttpResponse:
    communities = policy.visible(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True), request.user, "convention.manage", "path"
    ).order_by("path")
    form = forms.CreateForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST":
        community = policy.get_for(
            request.user, "convention.manage", communities, pk=parse_id(request.POST.get("community")) or 0
        )
        if form.is_valid():
            try:
                version = services.convention_create(
                    actor=request.user,
                    community=community,
                    title=form.cleaned_data["title"],
                    preamble=form.cleaned_data["preamble"],
                    request=request,
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                return redirect("consult:convention_detail", version.pk)
    versions = (
        selectors.versions_visible(request.user)
        .filter(community__in=communities)
        .order_by("community__path", "convention_id", "-number")[:200]
    )
    return render(
        request,
        "consult/convention/manage.html",
        {"versions": versions, "form": form, "communities": communities, "errors": errors},
        status=422 if request.method == "POST" else 200,
    )


def _staff_version(request: HttpRequest, version_id: int) -> ConventionVersion:
    return _version(request, version_id, "convention.manage")


@policy.permission("convention.manage")
@require_POST
def article_save(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _staff_version(request, version_id)

    def run(data: dict[str, Any]) -> Any:
        article = None
        if data.get("article"):
            article = policy.get_for(
                request.user, "convention.manage", Article.objects.filter(version=version), pk=data["article"]
            )
        return services.article_save(
            actor=request.user,
            version=version,
            title=data["title"],
            body=data["body"],
            article=article,
            position=data.get("position"),
            request=request,
        )

    return _act(request, version, forms.ArticleForm(request.POST), run, _("The article is saved."))


@policy.permission("convention.manage")
@require_POST
def article_remove(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _staff_version(request, version_id)
    article = policy.get_for(
        request.user,
        "convention.manage",
        Article.objects.filter(version=version),
        pk=parse_id(request.POST.get("article")) or 0,
    )

    class _Empty(django_forms.Form):
        pass

    return _act(
        request,
        version,
        _Empty({}),
        lambda _d: services.article_remove(actor=request.user, version=version, article=article, request=request),
        _("The article is removed."),
    )


@policy.permission("convention.manage")
@require_POST
def step(request: HttpRequest, version_id: int) -> HttpResponse:
    """Open or close public comment, record the adoption, put in force (one form each on the page)."""
    version = _staff_version(request, version_id)
    which = request.POST.get("step", "")
    if which == "open_comment":
        return _act(
            request,
            version,
            forms.OpenCommentForm(request.POST),
            lambda d: services.comment_open(actor=request.user, version=version, until=d["until"], request=request),
            _("The version is open for public comment."),
        )
    if which == "close_comment":
        return _act(
            request,
            version,
            forms.EnactForm({}),
            lambda _d: services.comment_close(actor=request.user, version=version, request=request),
            _("Public comment is closed: decide the amendments, then record the adoption."),
        )
    if which == "adopt":
        return _act(
            request,
            version,
            forms.AdoptForm(request.POST),
            lambda d: services.version_adopt(
                actor=request.user,
                version=version,
                method=d["method"],
                decided_on=d["decided_on"],
                eligible=d.get("eligible"),
                present=d["present"],
                in_favour=d["in_favour"],
                against=d.get("against") or 0,
                note=d.get("note", ""),
                request=request,
            ),
            _("The adoption is recorded."),
        )
    if which == "enact":
        return _act(
            request,
            version,
            forms.EnactForm(request.POST),
            lambda d: services.version_enact(
                actor=request.user, version=version, in_force_from=d.get("in_force_from"), request=request
            ),
            _("The version is in force."),
        )
    context = _detail_context(request, version, errors=[_("Choose a step.")])
    return render(request, "consult/convention/detail.html", context, status=422)


@policy.permission("convention.manage")
@require_POST
def decide(request: HttpRequest, amendment_id: int) -> HttpResponse:
    qs = Amendment.objects.filter(version__in=selectors.versions_visible(request.user)).select_related("version")
    amendment = policy.get_for(request.user, "convention.manage", qs, pk=amendment_id)
    return _act(
        request,
        amendment.version,
        forms.DecideForm(request.POST),
        lambda d: services.amendment_decide(
            actor=request.user, amendment=amendment, accept=d["accept"], reason=d["reason"], request=request
        ),
        _("The decision is published."),
    )


@policy.permission("convention.manage")
@require_POST
def revise(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _staff_version(request, version_id)
    made: list[ConventionVersion] = []

    def run(d: dict[str, Any]) -> Any:
        made.append(
            services.convention_revise(
                actor=request.user, convention=version.convention, change_note=d["change_note"], request=request
            )
        )

    response = _act(request, version, forms.ReviseForm(request.POST), run, _("A new draft version is made."))
    return redirect("consult:convention_detail", made[0].pk) if made else response


@policy.permission("convention.view")
def diff(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    rows = selectors.diff(version.previous, version)
    return render(
        request,
        "consult/convention/diff.html",
        {"version": version, "rows": rows, "counts": selectors.diff_counts(rows)},
    )


@policy.permission("convention.manage")
def coverage(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _staff_version(request, version_id)
    unit = None
    if request.GET.get("unit"):
        unit = OrgUnit.objects.subtree_of(version.community).filter(pk=parse_id(request.GET["unit"]) or 0).first()
    return render(
        request,
        "consult/convention/coverage.html",
        {
            "version": version,
            "coverage": selectors.coverage_of(version),
            "missing": list(selectors.not_acknowledged(version, unit)[:500]),
            "unit": unit,
            "in_force": version.status == VersionStatus.IN_FORCE,
        },
    )


@policy.permission("convention.assist")
@require_POST
def paper(request: HttpRequest, version_id: int) -> HttpResponse:
    """A paper signature recorded by a worker (from coverage) or a central household (from the version page)."""
    version = _version(request, version_id)
    form = forms.PaperForm(request.POST)
    back = request.POST.get("back") == "coverage" and selectors.may_manage(request.user, version)
    if form.is_valid():
        household = policy.get_for(
            request.user, "convention.assist", Household.objects.all(), pk=form.cleaned_data["household"]
        )
        try:
            services.acknowledge(
                actor=request.user,
                version=version,
                household=household,
                method=form.cleaned_data["method"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            target = "consult:convention_coverage" if back else "consult:convention_detail"
            return redirect(target, version.pk)
        messages.success(
            request, _("The paper signature of %(household)s is recorded.") % {"household": household.address}
        )
    else:
        messages.error(request, _("Choose the household that signed."))
    return redirect("consult:convention_coverage" if back else "consult:convention_detail", version.pk)


@policy.permission("convention.view")
def poster(request: HttpRequest, version_id: int) -> HttpResponse:
    return print_version(request, version_id, "poster")


@policy.permission("convention.view")
def booklet(request: HttpRequest, version_id: int) -> HttpResponse:
    return print_version(request, version_id, "booklet")


def print_version(request: HttpRequest, version_id: int, kind: str) -> HttpResponse:
    """The A4 poster (one page: every article, the adoption date, the coverage) or the booklet (a cover page,
    the preamble and articles, the adoption record)."""
    version = _version(request, version_id)
    fmt = printing.wanted_format(request)
    with transaction.atomic():
        record(
            Action.CONVENTION_PRINTED,
            actor=request.user,
            obj=version,
            request=request,
            data={"kind": kind, "format": fmt},
        )
    return printing.print_response(
        request,
        f"consult/convention/{kind}.html",
        {
            "version": version,
            "articles": list(version.articles.order_by("number")),
            "coverage": selectors.coverage_of(version),
        },
        filename=f"convention-{version.convention_id}-v{version.number}-{kind}",
    )
