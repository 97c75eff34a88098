"""Reads of family proxies shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from anju.access import policy
from anju.accounts import acting
from anju.accounts.models import ProxyGrant, User
from anju.accounts.proxy import services

RECENT = 20


def _base() -> QuerySet[ProxyGrant]:
    return ProxyGrant.objects.select_related("grantor", "proxy", "community", "ended_by", "created_by")


def given(user: User) -> QuerySet[ProxyGrant]:
    """The grants the resident gave, newest first."""
    return _base().filter(grantor=user)


def held(user: User) -> QuerySet[ProxyGrant]:
    """The grants in force that let ``user`` act for someone."""
    return _base().filter(acting.active_q(), proxy=user).order_by("grantor__display_name", "-valid_from")


def in_reach(worker: Any) -> QuerySet[ProxyGrant]:
    """The grants of the communities a worker's ``proxy.record`` reaches."""
    return policy.visible(_base(), worker, "proxy.record", "community__path")


def visible_to(user: Any) -> QuerySet[ProxyGrant]:
    """Every grant the user may see: given, held, or (a worker) in reach."""
    mine = _base().filter(Q(grantor=user) | Q(proxy=user))
    if policy.can(user, "proxy.record"):
        return (mine | in_reach(user)).distinct()
    return mine


def grant_to_end(user: Any, pk: int) -> ProxyGrant:
    """A grant the user may end; 404 alike for missing and forbidden."""
    grant = _base().filter(pk=pk).first()
    if grant is None or not services.may_end(user, grant):
        raise Http404
    return grant


def is_active(grant: ProxyGrant) -> bool:
    return acting.active_grants().filter(pk=grant.pk).exists()
