"""Family proxies (子女代办): granting, ending, and starting or stopping to act. One transaction and one audit row
each; bad input raises ``ValidationError`` with nothing written.

Who may be a proxy: **any active account other than the resident's own** -- a grown-up child often lives in
another community or city, and what a proxy reaches while acting is the resident's own reach narrowed to the
grant's scopes, never the proxy's. Who may be acted for: an account holding the resident's role
(``proxy.grant``) and no office role (``account.office``): a worker's powers are never delegated. The grant
belongs to the resident's community, where its workers may record (with consent) or end it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.accounts import acting
from anju.accounts.models import ProxyGrant, User
from anju.audit.actions import Action
from anju.audit.services import record
from anju.orgs.models import OrgUnit

#: The longest period a grant may be given for; it can be granted again.
MAX_PERIOD = timedelta(days=3 * 366)


def community_of(grantor: User) -> OrgUnit | None:
    """The community of the resident's own role grant (None: not a resident who may be acted for)."""
    if not grantor.is_active or grantor.is_superuser or policy.can(grantor, "account.office"):
        return None
    for g in policy.grants_for(grantor, "proxy.grant"):
        unit = OrgUnit.objects.filter(pk=g.unit_id).select_related("community").first()
        if unit is not None:
            return unit.community or unit
    return None


def may_manage(actor: Any, grant_or_community: ProxyGrant | OrgUnit) -> bool:
    """A worker whose reach covers the resident's community records and ends grants there."""
    community = grant_or_community.community if isinstance(grant_or_community, ProxyGrant) else grant_or_community
    return policy.in_reach(actor, community, action="proxy.record")


def find_proxy_account(username: str) -> User | None:
    username = (username or "").strip()
    if not username:
        return None
    return User.objects.filter(username__iexact=username, is_active=True).first()


def proxy_grant_create(
    *,
    actor: Any,
    grantor: User,
    proxy_username: str,
    scopes: list[str],
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    consent_method: str = "",
    consent_note: str = "",
    request: HttpRequest | None = None,
) -> ProxyGrant:
    """The resident (``actor == grantor``) or a worker of their community, with the resident's consent recorded
    (``consent_method``), lets the account ``proxy_username`` act for them within ``scopes``."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    community = community_of(grantor)
    by_self = getattr(actor, "pk", None) == grantor.pk
    if community is None:
        if by_self:
            raise ValidationError({"__all__": [_("Only a resident's own account can be acted for by family.")]})
        raise PermissionDenied
    if not by_self and not may_manage(actor, community):
        raise PermissionDenied
    proxy = find_proxy_account(proxy_username)
    if proxy is None:
        errors["proxy"] = [_("No active account has this username. Ask your family member for theirs.")]
    elif proxy.pk == grantor.pk:
        errors["proxy"] = [_("You cannot be your own family proxy.")]
    known = {s.name for s in acting.scopes()}
    chosen = sorted({s for s in scopes or [] if s})
    if not chosen:
        errors["scopes"] = [_("Choose at least one thing they may do for you.")]
    elif not set(chosen) <= known:
        errors["scopes"] = [_("Choose from the list.")]
    start = valid_from or now
    if valid_from is not None and valid_from < now - timedelta(minutes=5):
        errors["valid_from"] = [_("The start cannot be in the past.")]
    if valid_until is not None and valid_until <= max(start, now):
        errors["valid_until"] = [_("The end must be after the start, and in the future.")]
    elif valid_until is not None and valid_until - start > MAX_PERIOD:
        errors["valid_until"] = [_("A family proxy lasts at most three years; grant it again after that.")]
    consent_note = (consent_note or "").strip()
    if not by_self:
        if consent_method not in ProxyGrant.Consent.values:
            errors["consent_method"] = [_("Record how the resident gave their consent.")]
    elif consent_method:
        consent_method = ""
    if len(consent_note) > 200:
        errors["consent_note"] = [_("Use at most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    assert proxy is not None  # noqa: S101  (checked above)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=grantor.pk).first()  # one grant at a time per resident
        overlapping = ProxyGrant.objects.filter(grantor=grantor, proxy=proxy, ended_at__isnull=True).filter(
            acting.period_overlaps_q(start, valid_until, now)
        )
        if overlapping.exists():
            raise ValidationError(
                {"proxy": [_("%(name)s already acts for you in this period; end that first.") % {"name": proxy}]}
            )
        grant = ProxyGrant.objects.create(
            grantor=grantor,
            proxy=proxy,
            community=community,
            scopes=chosen,
            valid_from=start,
            valid_until=valid_until,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            consent_method=consent_method,
            consent_note=consent_note,
        )
        record(
            Action.PROXY_GRANTED,
            actor=actor,
            obj=grantor,
            community=community,
            request=request,
            data={
                "grant": grant.pk,
                "proxy_user": proxy.get_username(),
                "scopes": chosen,
                "valid_until": valid_until.isoformat() if valid_until else None,
                "consent_method": consent_method,
            },
        )
    return grant


def may_end(actor: Any, grant: ProxyGrant) -> bool:
    """The resident, the proxy (giving it up) or a worker of the resident's community."""
    pk = getattr(actor, "pk", None)
    return pk in (grant.grantor_id, grant.proxy_id) or may_manage(actor, grant)


def proxy_grant_end(*, actor: Any, grant: ProxyGrant, request: HttpRequest | None = None) -> ProxyGrant:
    """End a grant at once: the proxy's next request no longer acts for the resident."""
    if not may_end(actor, grant):
        raise PermissionDenied
    with transaction.atomic():
        locked = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.ended_at is not None:
            return locked
        locked.ended_at = timezone.now()
        locked.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["ended_at", "ended_by"])
        record(
            Action.PROXY_ENDED,
            actor=actor,
            obj=locked.grantor,
            community=locked.community,
            request=request,
            data={"grant": locked.pk, "proxy_user": locked.proxy.get_username()},
        )
    return locked


def acting_start(*, actor: User, grant: ProxyGrant, request: HttpRequest) -> None:
    """The proxy chooses to act for the resident from now on in this browser session."""
    if grant.proxy_id != actor.pk or not acting.active_grants().filter(pk=grant.pk).exists():
        raise ValidationError({"__all__": [_("This family proxy is not in force.")]})
    with transaction.atomic():
        record(
            Action.PROXY_ACTING_STARTED,
            actor=actor,
            obj=grant.grantor,
            community=grant.community,
            request=request,
            data={"grant": grant.pk},
        )
    request.session[acting.SESSION_KEY] = grant.pk


def acting_stop(*, actor: User, request: HttpRequest) -> None:
    grant_id = request.session.pop(acting.SESSION_KEY, None)
    if grant_id is None:
        return
    grant = ProxyGrant.objects.filter(pk=grant_id).select_related("grantor", "community").first()
    with transaction.atomic():
        record(
            Action.PROXY_ACTING_STOPPED,
            actor=actor,
            obj=grant.grantor if grant else None,
            community=grant.community if grant else None,
            request=request,
            data={"grant": grant_id},
        )
