"""Every state change of the convention (公约): drafting, public comment, amendments, adoption with its quorum,
entry into force, revision as a new version, and each household's acknowledgement.

Each service validates first (a clear error in the user's language, nothing written), then writes in one
transaction with one audit row. The guards: comments only during public comment and before its end date;
amendments only to a version under comment or amendment (a version adopted or in force is revised as a new
version instead); no adoption while an amendment is undecided or without quorum (more than half of those
entitled took part, and more than half of those who took part in favour — the rule of the residents' meeting,
城市居民委员会组织法 art. 18); acknowledgements only of the version in force, one per household (a unique
constraint, so 50 submissions at once still write one row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.models import (
    AckMethod,
    Acknowledgement,
    AdoptionMethod,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Article,
    ArticleComment,
    Convention,
    ConventionVersion,
    VersionStatus,
)
from anju.core import screening
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors as people_selectors
from anju.people.models import Household

MAX_ARTICLES = 60
MAX_COMMENT_DAYS = 90
IN_PROGRESS = (VersionStatus.DRAFT, VersionStatus.COMMENT, VersionStatus.AMENDMENT, VersionStatus.ADOPTED)


def _text(value: str, field: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
    value = (value or "").strip() if multiline else " ".join((value or "").split())
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


def _no_numbers(value: str, field: str) -> str:
    """The convention's text is public and printed: it carries no phone, ID or card number."""
    if screening.find(value):
        raise ValidationError({field: [_("The convention's text may not contain phone, ID or card numbers.")]})
    return value


def _not_in_force(version: ConventionVersion) -> None:
    if version.status in (VersionStatus.ADOPTED, VersionStatus.IN_FORCE, VersionStatus.SUPERSEDED):
        raise ValidationError(
            _("This version is adopted or in force and is not changed: revise the convention as a new version.")
        )


def _locked(version: ConventionVersion) -> ConventionVersion:
    """The version's row, locked: the one place its status is read for a change."""
    return ConventionVersion.objects.select_for_update().get(pk=version.pk)


# --- conventions and drafts ------------------------------------------------------------------


def convention_create(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    preamble: str = "",
    articles: list[tuple[str, str]] | None = None,
    request: HttpRequest | None = None,
) -> ConventionVersion:
    """A new convention of ``community`` and its first version, a draft with ``articles`` (title, text)."""
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("Choose a community.")]})
    title = _no_numbers(_text(title, "title", 100), "title")
    preamble = _no_numbers(_text(preamble, "preamble", 2000, required=False, multiline=True), "preamble")
    rows = [_article_fields(t, b) for t, b in (articles or [])]
    if len(rows) > MAX_ARTICLES:
        raise ValidationError({"articles": [_("At most %(n)d articles.") % {"n": MAX_ARTICLES}]})
    with transaction.atomic():
        convention = Convention.objects.create(community=community, title=title, created_by=_user(actor))
        version = ConventionVersion.objects.create(
            community=community, convention=convention, number=1, preamble=preamble
        )
        Article.objects.bulk_create(
            Article(community=community, version=version, number=n, key=n, title=t, body=b)
            for n, (t, b) in enumerate(rows, start=1)
        )
        record(
            Action.CONVENTION_CREATED,
            actor=actor,
            obj=version,
            request=request,
            data={"convention": convention.pk, "articles": len(rows)},
        )
    return version


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _article_fields(title: str, body: str) -> tuple[str, str]:
    return (
        _no_numbers(_text(title, "title", 60), "title"),
        _no_numbers(_text(body, "body", 2000, multiline=True), "body"),
    )


def _next_key(version: ConventionVersion) -> int:
    top = Article.objects.filter(version__convention_id=version.convention_id).aggregate(k=Max("key"))["k"]
    return int(top or 0) + 1


def _renumber(version: ConventionVersion) -> None:
    """Articles numbered 1… in their order, without tripping the (version, number) constraint on the way."""
    articles = list(Article.objects.filter(version=version).order_by("number", "id"))
    for offset in (1000, 0):
        for n, a in enumerate(articles, start=1):
            a.number = n + offset
        Article.objects.bulk_update(articles, ["number"])


def article_save(
    *,
    actor: Any,
    version: ConventionVersion,
    title: str,
    body: str,
    article: Article | None = None,
    position: int | None = None,
    request: HttpRequest | None = None,
) -> Article:
    """Add an article to a draft (at ``position``, default the end) or change one of its articles."""
    if article is not None and article.version_id != version.pk:
        raise ValidationError({"article": [_("Choose an article of this version.")]})
    title, body = _article_fields(title, body)
    with transaction.atomic():
        version = _locked(version)
        if not version.editable:
            _not_in_force(version)
            raise ValidationError(_("Only a draft is edited directly; propose an amendment instead."))
        if article is None:
            count = Article.objects.filter(version=version).count()
            if count >= MAX_ARTICLES:
                raise ValidationError({"articles": [_("At most %(n)d articles.") % {"n": MAX_ARTICLES}]})
            article = _insert(version, title, body, position)
            record(
                Action.CONVENTION_ARTICLE_ADDED,
                actor=actor,
                obj=version,
                request=request,
                data={"article": article.number, "title": title},
            )
        else:
            before = {"title": article.title, "body": article.body}
            article.title, article.body = title, body
            article.save(update_fields=["title", "body"])
            record(
                Action.CONVENTION_ARTICLE_CHANGED,
                actor=actor,
                obj=version,
                request=request,
                data={"article": article.number, "before": before},
            )
    return article


def _insert(version: ConventionVersion, title: str, body: str, position: int | None) -> Article:
    count = Article.objects.filter(version=version).count()
    at = count + 1 if position is None or not 1 <= position <= count else position
    article = Article.objects.create(
        community_id=version.community_id,
        version=version,
        number=at + 1000,
        key=_next_key(version),
        title=title,
        body=body,
    )
    # Those at or after the position move one down, the new one takes its place.
    later = list(Article.objects.filter(version=version, number__gte=at, number__lt=1000).order_by("number"))
    for a in later:
        a.number += 2000
    Article.objects.bulk_update(later, ["number"])
    for a in later:
        a.number -= 1999
    Article.objects.bulk_update(later, ["number"])
    article.number = at
    article.save(update_fields=["number"])
    return article


def article_remove(
    *, actor: Any, version: ConventionVersion, article: Article, request: HttpRequest | None = None
) -> None:
    if article.version_id != version.pk:
        raise ValidationError({"article": [_("Choose an article of this version.")]})
    with transaction.atomic():
        version = _locked(version)
        if not version.editable:
            _not_in_force(version)
            raise ValidationError(_("Only a draft is edited directly; propose an amendment instead."))
        number, title = article.number, article.title
        article.delete()
        _renumber(version)
        record(
            Action.CONVENTION_ARTICLE_REMOVED,
            actor=actor,
            obj=version,
            request=request,
            data={"article": number, "title": title},
        )


# --- public comment ---------------------------------------------------------------------------


def comment_open(
    *, actor: Any, version: ConventionVersion, until: dt.date, request: HttpRequest | None = None
) -> ConventionVersion:
    """Draft → public comment until ``until`` (inclusive)."""
    today = timezone.localdate()
    if until is None or until <= today:
        raise ValidationError({"until": [_("The comment period ends after today.")]})
    if until > today + dt.timedelta(days=MAX_COMMENT_DAYS):
        raise ValidationError({"until": [_("The comment period lasts at most %(n)d days.") % {"n": MAX_COMMENT_DAYS}]})
    with transaction.atomic():
        version = _locked(version)
        if version.status != VersionStatus.DRAFT:
            raise ValidationError(_("Only a draft is opened for public comment."))
        if not Article.objects.filter(version=version).exists():
            raise ValidationError(_("Write at least one article first."))
        version.status, version.comment_until = VersionStatus.COMMENT, until
        version.save(update_fields=["status", "comment_until", "updated_at"])
        record(
            Action.CONVENTION_COMMENT_OPENED,
            actor=actor,
            obj=version,
            request=request,
            data={"until": until.isoformat()},
        )
    return version


def comment_close(*, actor: Any, version: ConventionVersion, request: HttpRequest | None = None) -> ConventionVersion:
    """Public comment → amendments (before the end date too, when the office decides so)."""
    with transaction.atomic():
        version = _locked(version)
        if version.status != VersionStatus.COMMENT:
            raise ValidationError(_("This version is not open for public comment."))
        version.status = VersionStatus.AMENDMENT
        version.save(update_fields=["status", "updated_at"])
        record(
            Action.CONVENTION_COMMENT_CLOSED,
            actor=actor,
            obj=version,
            request=request,
            data={"comments": ArticleComment.objects.filter(article__version=version).count()},
        )
    return version


def household_of(user: Any) -> Household | None:
    """The household of a signed-in resident (matched in the registry by the account's mobile number)."""
    me = people_selectors.resident_for_user(user)
    return me.household if me is not None else None


def comment_add(
    *,
    actor: Any,
    article: Article,
    body: str,
    household: Household | None = None,
    request: HttpRequest | None = None,
) -> ArticleComment:
    """A comment on ``article``: the resident's own (``household`` None), or typed by a volunteer or worker for
    ``household`` (recorded as assisted)."""
    body = _text(body, "body", 1000, multiline=True)
    assisted = household is not None
    if household is None:
        household = household_of(actor)
        if household is None:
            raise ValidationError(
                _("Your account is not matched to a household in the registry: ask the station to add your mobile.")
            )
    elif not policy.can(actor, "convention.assist", household):
        raise ValidationError({"household": [_("Choose a household you serve.")]})
    if household.community_id != article.community_id or household.status != Household.Status.ACTIVE:
        raise ValidationError({"household": [_("Only households of the convention's community comment on it.")]})
    with transaction.atomic():
        version = _locked(article.version)
        if version.status != VersionStatus.COMMENT or (
            version.comment_until and timezone.localdate() > version.comment_until
        ):
            raise ValidationError(_("The public comment period of this version is over."))
        comment = ArticleComment.objects.create(
            community_id=article.community_id,
            article=article,
            household=household,
            author=actor,
            assisted=assisted,
            body=screening.screen(body),
        )
        record(
            Action.CONVENTION_COMMENTED,
            actor=actor,
            obj=version,
            request=request,
            data={"article": article.number, "household": household.pk, "assisted": assisted},
        )
    return comment


# --- amendments -------------------------------------------------------------------------------


def amendment_propose(
    *,
    actor: Any,
    version: ConventionVersion,
    kind: str,
    rationale: str,
    article: Article | None = None,
    title: str = "",
    body: str = "",
    request: HttpRequest | None = None,
) -> Amendment:
    """Propose a change, an addition or a removal of an article of a version under comment or amendment."""
    errors: dict[str, list[str]] = {}
    if kind not in AmendmentKind.values:
        errors["kind"] = [_("Choose change, add or remove.")]
    if kind in (AmendmentKind.CHANGE, AmendmentKind.REMOVE) and (article is None or article.version_id != version.pk):
        errors["article"] = [_("Choose an article of this version.")]
    try:
        rationale = _text(rationale, "rationale", 1000, multiline=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind in (AmendmentKind.CHANGE, AmendmentKind.ADD):
        try:
            title, body = _article_fields(title, body)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    else:
        title, body = "", ""
    if errors:
        raise ValidationError(errors)
    by_resident = not policy.can(actor, "convention.manage", version)
    with transaction.atomic():
        version = _locked(version)
        _not_in_force(version)
        if not version.amendable:
            raise ValidationError(_("Amendments are proposed during public comment or the amendment stage."))
        amendment = Amendment.objects.create(
            community_id=version.community_id,
            version=version,
            kind=kind,
            article=article if kind != AmendmentKind.ADD else None,
            article_number=article.number if article is not None and kind != AmendmentKind.ADD else None,
            title=title,
            body=body,
            rationale=screening.screen(rationale),
            proposed_by=actor,
            by_resident=by_resident,
        )
        record(
            Action.CONVENTION_AMENDMENT_PROPOSED,
            actor=actor,
            obj=version,
            request=request,
            data={
                "amendment": amendment.pk,
                "kind": kind,
                "article": amendment.article_number,
                "by_resident": by_resident,
            },
        )
    return amendment


def amendment_decide(
    *, actor: Any, amendment: Amendment, accept: bool, reason: str, request: HttpRequest | None = None
) -> Amendment:
    """Accept (the text changes at once) or reject an amendment, with a reason published beside it."""
    reason = _no_numbers(_text(reason, "reason", 300), "reason")
    with transaction.atomic():
        version = _locked(amendment.version)
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        _not_in_force(version)
        if not version.amendable:
            raise ValidationError(_("Amendments are decided during public comment or the amendment stage."))
        if amendment.status != AmendmentStatus.PROPOSED:
            raise ValidationError(_("This amendment has been decided already."))
        if accept:
            _apply(version, amendment)
        amendment.status = AmendmentStatus.ACCEPTED if accept else AmendmentStatus.REJECTED
        amendment.reason, amendment.decided_by, amendment.decided_at = reason, actor, timezone.now()
        amendment.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        record(
            Action.CONVENTION_AMENDMENT_DECIDED,
            actor=actor,
            obj=version,
            request=request,
            data={"amendment": amendment.pk, "accepted": accept, "reason": reason},
        )
    return amendment


def _apply(version: ConventionVersion, amendment: Amendment) -> None:
    if amendment.kind == AmendmentKind.ADD:
        _insert(version, amendment.title, amendment.body, None)
        return
    article = Article.objects.filter(pk=amendment.article_id, version=version).first() if amendment.article_id else None
    if article is None:
        raise ValidationError(_("The article this amendment is about is gone: reject it with a reason."))
    if amendment.kind == AmendmentKind.REMOVE:
        article.delete()
        _renumber(version)
    else:
        article.title, article.body = amendment.title, amendment.body
        article.save(update_fields=["title", "body"])


# --- adoption and force -----------------------------------------------------------------------


def quorum_rule_text() -> str:
    return _(
        "Quorum: more than half of those entitled take part; adopted when more than half of those "
        "taking part are in favour."
    )


def eligible_households(community_id: int) -> int:
    """Households of the community someone lives in: those entitled to a household vote."""
    from anju.consult.convention.selectors import households_of

    return households_of(community_id).count()


def version_adopt(
    *,
    actor: Any,
    version: ConventionVersion,
    method: str,
    decided_on: dt.date,
    present: int,
    in_favour: int,
    against: int = 0,
    eligible: int | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> ConventionVersion:
    """Record the decision that adopted ``version``: a household vote (those entitled are the community's
    households, counted now) or a representative meeting (``eligible`` representatives), with the quorum rule
    and the counts it was judged by. Refused without quorum or majority, or with an amendment undecided."""
    errors: dict[str, list[str]] = {}
    if method not in AdoptionMethod.values:
        errors["method"] = [_("Choose a household vote or a representative meeting.")]
    if method == AdoptionMethod.HOUSEHOLD_VOTE:
        eligible = eligible_households(version.community_id)
    if eligible is None or eligible < 1:
        errors["eligible"] = [_("Give how many were entitled to take part.")]
    if decided_on is None or decided_on > timezone.localdate():
        errors["decided_on"] = [_("The decision date is today or earlier.")]
    if min(present, in_favour, against) < 0 or in_favour + against > present:
        errors["in_favour"] = [_("Those in favour and against add up to at most those who took part.")]
    if eligible and present > eligible:
        errors["present"] = [_("More took part than were entitled to.")]
    try:
        note = _text(note, "note", 300, required=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert eligible is not None  # noqa: S101  (checked above)
    if present * 2 <= eligible:
        raise ValidationError(
            {
                "present": [
                    _("No quorum: %(present)d of %(eligible)d took part; more than half (%(need)d) must.")
                    % {"present": present, "eligible": eligible, "need": eligible // 2 + 1}
                ]
            }
        )
    if in_favour * 2 <= present:
        raise ValidationError(
            {
                "in_favour": [
                    _("Not adopted: %(yes)d of %(present)d in favour; more than half (%(need)d) needed.")
                    % {"yes": in_favour, "present": present, "need": present // 2 + 1}
                ]
            }
        )
    with transaction.atomic():
        version = _locked(version)
        if version.status != VersionStatus.AMENDMENT:
            _not_in_force(version)
            raise ValidationError(_("Close the public comment and decide the amendments before adoption."))
        if Amendment.objects.filter(version=version, status=AmendmentStatus.PROPOSED).exists():
            raise ValidationError(_("Decide every proposed amendment before adoption."))
        version.status = VersionStatus.ADOPTED
        version.adoption_method, version.adopted_on = method, decided_on
        version.eligible, version.present, version.in_favour, version.against = eligible, present, in_favour, against
        version.quorum_rule, version.decision_note = quorum_rule_text(), note
        version.save()
        record(
            Action.CONVENTION_ADOPTED,
            actor=actor,
            obj=version,
            request=request,
            data={
                "method": method,
                "eligible": eligible,
                "present": present,
                "in_favour": in_favour,
                "against": against,
                "decided_on": decided_on.isoformat(),
            },
        )
    return version


def version_enact(
    *, actor: Any, version: ConventionVersion, in_force_from: dt.date | None = None, request: HttpRequest | None = None
) -> ConventionVersion:
    """Adopted → in force from ``in_force_from`` (default today); the version in force before it is superseded."""
    start = in_force_from or timezone.localdate()
    with transaction.atomic():
        version = _locked(version)
        if version.status != VersionStatus.ADOPTED:
            raise ValidationError(_("Only an adopted version is put in force."))
        if version.adopted_on and start < version.adopted_on:
            raise ValidationError({"in_force_from": [_("A version is in force from its adoption on.")]})
        old = (
            ConventionVersion.objects.select_for_update()
            .filter(convention_id=version.convention_id, status=VersionStatus.IN_FORCE)
            .first()
        )
        if old is not None:
            old.status, old.superseded_on = VersionStatus.SUPERSEDED, start
            old.save(update_fields=["status", "superseded_on", "updated_at"])
        version.status, version.in_force_from = VersionStatus.IN_FORCE, start
        version.save(update_fields=["status", "in_force_from", "updated_at"])
        record(
            Action.CONVENTION_ENACTED,
            actor=actor,
            obj=version,
            request=request,
            data={"from": start.isoformat(), "supersedes": old.number if old else None},
        )
    return version


def convention_revise(
    *, actor: Any, convention: Convention, change_note: str = "", request: HttpRequest | None = None
) -> ConventionVersion:
    """A new draft version copying the version in force, article by article (each keeps its key)."""
    change_note = _no_numbers(_text(change_note, "change_note", 300, required=False), "change_note")
    with transaction.atomic():
        Convention.objects.select_for_update().get(pk=convention.pk)
        versions = ConventionVersion.objects.filter(convention=convention)
        current = versions.filter(status=VersionStatus.IN_FORCE).first()
        if current is None:
            raise ValidationError(_("Only a convention in force is revised."))
        if versions.filter(status__in=IN_PROGRESS).exists():
            raise ValidationError(_("A new version is in progress already: finish it first."))
        top = versions.aggregate(n=Max("number"))["n"] or 0
        draft = ConventionVersion.objects.create(
            community_id=convention.community_id,
            convention=convention,
            number=top + 1,
            previous=current,
            preamble=current.preamble,
            change_note=change_note,
        )
        Article.objects.bulk_create(
            Article(
                community_id=convention.community_id,
                version=draft,
                number=a.number,
                key=a.key,
                title=a.title,
                body=a.body,
            )
            for a in current.articles.order_by("number")
        )
        record(
            Action.CONVENTION_REVISED,
            actor=actor,
            obj=draft,
            request=request,
            data={"from": current.number, "to": draft.number},
        )
    return draft


# --- acknowledgement --------------------------------------------------------------------------


def acknowledge(
    *,
    actor: Any,
    version: ConventionVersion,
    household: Household | None = None,
    method: str = AckMethod.ONLINE,
    request: HttpRequest | None = None,
) -> Acknowledgement:
    """A household's acknowledgement of the version in force: online by the resident (``household`` None), or
    on paper recorded by a worker or by the household's central household."""
    if method not in AckMethod.values:
        raise ValidationError({"method": [_("Choose how the household acknowledged.")]})
    if method == AckMethod.ONLINE:
        own = household_of(actor)
        if own is None:
            raise ValidationError(
                _("Your account is not matched to a household in the registry: ask the station to add your mobile.")
            )
        if household is not None and household.pk != own.pk:
            raise ValidationError({"household": [_("Online, a household acknowledges only for itself.")]})
        household = own
    elif household is None:
        raise ValidationError({"household": [_("Choose the household that signed.")]})
    elif method == AckMethod.PAPER_WORKER and not policy.can(actor, "convention.manage", household):
        raise ValidationError({"household": [_("Choose a household of your community.")]})
    elif method == AckMethod.PAPER_CENTRAL and not policy.can(actor, "pairing.visit", household):
        raise ValidationError({"household": [_("Choose a household your central household serves.")]})
    if household.community_id != version.community_id or household.status != Household.Status.ACTIVE:
        raise ValidationError({"household": [_("Only households of the convention's community acknowledge it.")]})
    if version.status != VersionStatus.IN_FORCE:
        raise ValidationError(_("Only the version in force is acknowledged."))
    if Acknowledgement.objects.filter(version=version, household=household).exists():
        raise ValidationError(_("This household has acknowledged this version already."))
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                community_id=version.community_id,
                version=version,
                household=household,
                method=method,
                recorded_by=actor,
            )
            record(
                Action.CONVENTION_ACKNOWLEDGED,
                actor=actor,
                obj=version,
                request=request,
                data={"household": household.pk, "method": method},
            )
    except IntegrityError as exc:
        # Two submissions at once: the unique constraint wrote one; the other writes nothing.
        raise ValidationError(_("This household has acknowledged this version already.")) from exc
    return ack
