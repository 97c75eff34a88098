"""The convention over JSON: the versions one may read, their articles, comments, amendments and diffs; the
lifecycle steps for staff; a household's acknowledgement and the coverage. The same selectors (who sees what)
and services (validation, audit) as the pages. Objects of another community answer 404, like missing ones."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.consult.convention import selectors, services
from anju.consult.models import Amendment, Article, ArticleComment, ConventionVersion
from anju.core import screening
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Household

router = Router(tags=["consult"])


class ArticleOut(Schema):
    id: int
    number: int
    title: str
    body: str


class AdoptionOut(Schema):
    method: str = Field(..., description="household_vote or meeting")
    adopted_on: date | None
    eligible: int | None
    present: int | None
    in_favour: int | None
    against: int | None
    quorum_rule: str
    note: str


class VersionOut(Schema):
    id: int
    convention_id: int
    title: str
    number: int
    status: str = Field(..., description="draft, comment, amendment, adopted, in_force, superseded")
    previous_id: int | None
    preamble: str
    change_note: str
    comment_until: date | None
    in_force_from: date | None
    adoption: AdoptionOut | None
    articles: list[ArticleOut]
    acknowledged: bool = Field(..., description="whether the caller's household acknowledged this version")


class ConventionRow(Schema):
    id: int
    convention_id: int
    title: str
    number: int
    status: str
    community_id: int


def _version_out(version: ConventionVersion, user: Any) -> dict[str, Any]:
    adoption = None
    if version.adoption_method:
        adoption = {
            "method": version.adoption_method,
            "adopted_on": version.adopted_on,
            "eligible": version.eligible,
            "present": version.present,
            "in_favour": version.in_favour,
            "against": version.against,
            "quorum_rule": version.quorum_rule,
            "note": version.decision_note,
        }
    household = services.household_of(user)
    return {
        "id": version.pk,
        "convention_id": version.convention_id,
        "title": version.convention.title,
        "number": version.number,
        "status": version.status,
        "previous_id": version.previous_id,
        "preamble": version.preamble,
        "change_note": version.change_note,
        "comment_until": version.comment_until,
        "in_force_from": version.in_force_from,
        "adoption": adoption,
        "articles": list(version.articles.order_by("number")),
        "acknowledged": selectors.acknowledged_by(version, household) is not None,
    }


def _version(request: HttpRequest, version_id: int, action: str = "convention.view") -> ConventionVersion:
    return policy.get_for(request.user, action, selectors.versions_visible(request.user), pk=version_id)


@router.get("/consult/conventions", response=list[ConventionRow], summary="Convention versions the caller may read")
@policy.permission("convention.view")
def list_versions(request: HttpRequest) -> Any:
    return [
        {
            "id": v.pk,
            "convention_id": v.convention_id,
            "title": v.convention.title,
            "number": v.number,
            "status": v.status,
            "community_id": v.community_id,
        }
        for v in selectors.versions_visible(request.user).order_by("community__path", "convention_id", "-number")[:200]
    ]


class ArticleIn(Schema):
    title: str = ""
    body: str = ""


class ConventionIn(Schema):
    community_id: int = 0
    title: str = ""
    preamble: str = ""
    articles: list[ArticleIn] = Field(default_factory=list, max_length=200)


@router.post(
    "/consult/conventions",
    response={201: VersionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Draft a new convention (its first version)",
)
@policy.permission("convention.manage")
def create(request: HttpRequest, payload: ConventionIn) -> Any:
    community = policy.get_for(
        request.user, "convention.manage", OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), pk=payload.community_id
    )
    version = services.convention_create(
        actor=request.user,
        community=community,
        title=payload.title,
        preamble=payload.preamble,
        articles=[(a.title, a.body) for a in payload.articles],
        request=request,
    )
    return Status(201, _version_out(version, request.user))


@router.get(
    "/consult/conventions/versions/{version_id}",
    response={200: VersionOut, 404: ErrorOut},
    summary="One version with its articles and adoption record",
)
@policy.permission("convention.view")
def get_version(request: HttpRequest, version_id: Id) -> Any:
    return _version_out(_version(request, version_id), request.user)


class ArticleAddIn(Schema):
    title: str = ""
    body: str = ""
    position: int | None = Field(None, ge=1, le=1000, description="where to insert (default: at the end)")
    article_id: OptionalId = Field(None, description="change this article instead of adding one")


@router.post(
    "/consult/conventions/versions/{version_id}/articles",
    response={201: ArticleOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add or change an article of a draft",
)
@policy.permission("convention.manage")
def save_article(request: HttpRequest, version_id: Id, payload: ArticleAddIn) -> Any:
    version = _version(request, version_id, "convention.manage")
    article = None
    if payload.article_id is not None:
        article = policy.get_for(
            request.user, "convention.manage", Article.objects.filter(version=version), pk=payload.article_id
        )
    saved = services.article_save(
        actor=request.user,
        version=version,
        title=payload.title,
        body=payload.body,
        article=article,
        position=payload.position,
        request=request,
    )
    return Status(201, saved)


class ConventionStepIn(Schema):
    step: str = Field("", description="open_comment (with until), close_comment, enact (with in_force_from)")
    until: date | None = None
    in_force_from: date | None = None


@router.post(
    "/consult/conventions/versions/{version_id}/steps",
    response={200: VersionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Open or close public comment, or put an adopted version in force",
)
@policy.permission("convention.manage")
def step(request: HttpRequest, version_id: Id, payload: ConventionStepIn) -> Any:
    version = _version(request, version_id, "convention.manage")
    if payload.step == "open_comment":
        version = services.comment_open(actor=request.user, version=version, until=payload.until, request=request)  # type: ignore[arg-type]
    elif payload.step == "close_comment":
        version = services.comment_close(actor=request.user, version=version, request=request)
    elif payload.step == "enact":
        version = services.version_enact(
            actor=request.user, version=version, in_force_from=payload.in_force_from, request=request
        )
    else:
        raise ValidationError({"step": [_("Choose open_comment, close_comment or enact.")]})
    return _version_out(version, request.user)


class AdoptIn(Schema):
    method: str = Field("", description="household_vote or meeting")
    decided_on: date | None = None
    eligible: int | None = Field(None, ge=0, le=1_000_000, description="a meeting's representatives")
    present: int = Field(0, ge=0, le=1_000_000)
    in_favour: int = Field(0, ge=0, le=1_000_000)
    against: int = Field(0, ge=0, le=1_000_000)
    note: str = ""


@router.post(
    "/consult/conventions/versions/{version_id}/adoption",
    response={200: VersionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record the decision that adopted a version (refused without quorum)",
)
@policy.permission("convention.manage")
def adopt(request: HttpRequest, version_id: Id, payload: AdoptIn) -> Any:
    version = _version(request, version_id, "convention.manage")
    version = services.version_adopt(
        actor=request.user,
        version=version,
        method=payload.method,
        decided_on=payload.decided_on,  # type: ignore[arg-type]
        eligible=payload.eligible,
        present=payload.present,
        in_favour=payload.in_favour,
        against=payload.against,
        note=payload.note,
        request=request,
    )
    return _version_out(version, request.user)


class CommentOut(Schema):
    id: int
    article_id: int
    article_number: int
    body: str = Field(..., description="typed numbers masked")
    assisted: bool = Field(..., description="typed by a volunteer or worker for the household")
    created_at: Any
    household: str = Field(..., description="the household's address: staff only, empty for others")


class CommentIn(Schema):
    article_id: int = 0
    body: str = ""
    household_id: OptionalId = Field(None, description="a household one serves (recorded as assisted)")


def _comment_out(c: ArticleComment, staff: bool) -> dict[str, Any]:
    return {
        "id": c.pk,
        "article_id": c.article_id,
        "article_number": c.article.number,
        "body": screening.masked(c.body),
        "assisted": c.assisted,
        "created_at": c.created_at,
        "household": str(c.household.address) if staff else "",
    }


@router.get(
    "/consult/conventions/versions/{version_id}/comments",
    response={200: list[CommentOut], 404: ErrorOut},
    summary="Comments on the articles of a version",
)
@policy.permission("convention.view")
def list_comments(request: HttpRequest, version_id: Id) -> Any:
    version = _version(request, version_id)
    staff = selectors.may_manage(request.user, version)
    comments = selectors.comments_of(version).select_related("household__address__unit")[:1000]
    return [_comment_out(c, staff) for c in comments]


@router.post(
    "/consult/conventions/versions/{version_id}/comments",
    response={201: CommentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Comment on an article during public comment (one's own, or for a household one serves)",
)
@policy.permission("convention.comment")
def add_comment(request: HttpRequest, version_id: Id, payload: CommentIn) -> Any:
    version = _version(request, version_id, "convention.comment")
    article = policy.get_for(
        request.user, "convention.comment", Article.objects.filter(version=version), pk=payload.article_id
    )
    household = None
    if payload.household_id is not None:
        household = policy.get_for(request.user, "convention.assist", Household.objects.all(), pk=payload.household_id)
    comment = services.comment_add(
        actor=request.user, article=article, body=payload.body, household=household, request=request
    )
    return Status(201, _comment_out(comment, False))


class AmendmentOut(Schema):
    id: int
    kind: str
    article_number: int | None
    title: str
    body: str
    rationale: str = Field(..., description="typed numbers masked")
    by_resident: bool
    status: str = Field(..., description="proposed, accepted or rejected")
    reason: str = Field(..., description="the published reason of the decision")

    @staticmethod
    def resolve_rationale(obj: Amendment) -> str:
        return screening.masked(obj.rationale)


class AmendmentIn(Schema):
    kind: str = Field("", description="change, add or remove")
    article_id: OptionalId = None
    title: str = ""
    body: str = ""
    rationale: str = ""


@router.get(
    "/consult/conventions/versions/{version_id}/amendments",
    response={200: list[AmendmentOut], 404: ErrorOut},
    summary="Amendments of a version, with their decisions",
)
@policy.permission("convention.view")
def list_amendments(request: HttpRequest, version_id: Id) -> Any:
    return list(selectors.amendments_of(_version(request, version_id))[:1000])


@router.post(
    "/consult/conventions/versions/{version_id}/amendments",
    response={201: AmendmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Propose an amendment (not to a version adopted or in force: revise it as a new version)",
)
@policy.permission("convention.comment")
def propose(request: HttpRequest, version_id: Id, payload: AmendmentIn) -> Any:
    version = _version(request, version_id, "convention.comment")
    article = None
    if payload.article_id is not None:
        article = policy.get_for(
            request.user, "convention.comment", Article.objects.filter(version=version), pk=payload.article_id
        )
    amendment = services.amendment_propose(
        actor=request.user,
        version=version,
        kind=payload.kind,
        article=article,
        title=payload.title,
        body=payload.body,
        rationale=payload.rationale,
        request=request,
    )
    return Status(201, amendment)


class ConventionDecisionIn(Schema):
    accept: bool = False
    reason: str = ""


@router.post(
    "/consult/conventions/amendments/{amendment_id}/decision",
    response={200: AmendmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Accept or reject an amendment with a published reason",
)
@policy.permission("convention.manage")
def decide(request: HttpRequest, amendment_id: Id, payload: ConventionDecisionIn) -> Any:
    qs = Amendment.objects.filter(version__in=selectors.versions_visible(request.user)).select_related("version")
    amendment = policy.get_for(request.user, "convention.manage", qs, pk=amendment_id)
    return services.amendment_decide(
        actor=request.user, amendment=amendment, accept=payload.accept, reason=payload.reason, request=request
    )


class ReviseIn(Schema):
    change_note: str = ""


@router.post(
    "/consult/conventions/{convention_id}/revisions",
    response={201: VersionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Revise the convention in force as a new draft version",
)
@policy.permission("convention.manage")
def revise(request: HttpRequest, convention_id: Id, payload: ReviseIn) -> Any:
    convention = policy.get_for(
        request.user, "convention.manage", selectors.conventions_visible(request.user), pk=convention_id
    )
    draft = services.convention_revise(
        actor=request.user, convention=convention, change_note=payload.change_note, request=request
    )
    return Status(201, _version_out(draft, request.user))


class DiffRow(Schema):
    change: str = Field(..., description="added, removed, changed or same")
    old_number: int | None
    new_number: int | None
    old_title: str
    new_title: str
    runs: list[list[str]] = Field(..., description="[op, text]: op is same, added or removed")


class DiffOut(Schema):
    version_id: int
    previous_id: int | None
    counts: dict[str, int]
    articles: list[DiffRow]


@router.get(
    "/consult/conventions/versions/{version_id}/diff",
    response={200: DiffOut, 404: ErrorOut},
    summary="The version against the one it revises, article by article",
)
@policy.permission("convention.view")
def version_diff(request: HttpRequest, version_id: Id) -> Any:
    version = _version(request, version_id)
    rows = selectors.diff(version.previous, version)
    return {
        "version_id": version.pk,
        "previous_id": version.previous_id,
        "counts": selectors.diff_counts(rows),
        "articles": [
            {
                "change": r.change,
                "old_number": r.old.number if r.old else None,
                "new_number": r.new.number if r.new else None,
                "old_title": r.old.title if r.old else "",
                "new_title": r.new.title if r.new else "",
                "runs": [[op, text] for op, text in r.runs],
            }
            for r in rows
        ],
    }


class AckIn(Schema):
    method: str = Field("online", description="online, paper_worker or paper_central")
    household_id: OptionalId = Field(None, description="the household that signed on paper")


class AckOut(Schema):
    id: int
    version_id: int
    household_id: int
    method: str
    created_at: Any


@router.post(
    "/consult/conventions/versions/{version_id}/acknowledgements",
    response={201: AckOut, 404: ErrorOut, 422: ErrorOut},
    summary="Acknowledge the version in force (online for one's household, or a paper signature recorded)",
)
@policy.permission("convention.acknowledge")
def acknowledge(request: HttpRequest, version_id: Id, payload: AckIn) -> Any:
    version = _version(request, version_id, "convention.acknowledge")
    household = None  # online: the caller's own household
    if payload.household_id is not None and payload.method != "online":
        household = policy.get_for(request.user, "convention.assist", Household.objects.all(), pk=payload.household_id)
    ack = services.acknowledge(
        actor=request.user, version=version, household=household, method=payload.method, request=request
    )
    return Status(201, ack)


class CoverageRowOut(Schema):
    unit_id: int
    name: str
    households: int
    acknowledged: int
    percent: int


class MissingOut(Schema):
    id: int
    address: str


class ConventionCoverageOut(Schema):
    version_id: int
    households: int
    acknowledged: int
    percent: int
    buildings: list[CoverageRowOut]
    areas: list[CoverageRowOut]
    not_acknowledged: list[MissingOut] = Field(..., description="households to visit (first 500)")


def _cov_row(r: selectors.CoverageRow) -> dict[str, Any]:
    return {
        "unit_id": r.unit.pk,
        "name": r.unit.name,
        "households": r.households,
        "acknowledged": r.acknowledged,
        "percent": r.percent,
    }


@router.get(
    "/consult/conventions/versions/{version_id}/coverage",
    response={200: ConventionCoverageOut, 404: ErrorOut},
    summary="Acknowledgement coverage by building and area, and the households that have not acknowledged",
)
@policy.permission("convention.manage")
def coverage(request: HttpRequest, version_id: Id) -> Any:
    version = _version(request, version_id, "convention.manage")
    cov = selectors.coverage_of(version)
    missing = selectors.not_acknowledged(version)[:500]
    return {
        "version_id": version.pk,
        "households": cov.total,
        "acknowledged": cov.acknowledged,
        "percent": cov.percent,
        "buildings": [_cov_row(r) for r in cov.buildings],
        "areas": [_cov_row(r) for r in cov.areas],
        "not_acknowledged": [{"id": h.pk, "address": str(h.address)} for h in missing],
    }
