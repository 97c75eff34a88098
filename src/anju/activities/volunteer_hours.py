"""Volunteers who helped at an activity: who, at which session (or the activity as a whole), how many hours,
recorded by whom. The duty and hours ledger reads these rows (``helpers_for_ledger``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access.roles import Role
from anju.accounts.models import User
from anju.activities.models import Activity, Helper, Session
from anju.audit.actions import Action
from anju.audit.services import record
from anju.orgs.models import OrgUnit
from anju.people.models import Resident

MAX_SESSION_HOURS = Decimal(24)
MAX_ENTRY_HOURS = Decimal(999)  # what one entry holds (the column's check constraint)
HELPER_ROLES = [Role.VOLUNTEER, Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY]


def helper_candidates(activity: Activity) -> QuerySet[User]:
    """Accounts that may have helped: volunteers and staff with a role within the activity's community."""
    return (
        User.objects.filter(
            OrgUnit.subtree_q(activity.community, "grants__unit__"), is_active=True, grants__role__in=HELPER_ROLES
        )
        .distinct()
        .order_by("display_name", "pk")
    )


def _hours(value: Any, limit: Decimal) -> Decimal:
    """The hours as a decimal with one place, more than 0 and at most ``limit``; compared before rounding so
    that a huge or odd value (1e30, NaN) is a clear error, never an arithmetic exception."""
    message = _("Enter the hours as a number, e.g. 2 or 1.5.")
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": [message]}) from None
    if not hours.is_finite() or hours <= 0:
        raise ValidationError({"hours": [message]})
    if hours > limit:
        raise ValidationError({"hours": [_("At most %(n)s hours can be recorded here.") % {"n": limit}]})
    hours = hours.quantize(Decimal("0.1"))
    if hours <= 0:  # 0.04 rounds to nothing
        raise ValidationError({"hours": [message]})
    return hours


def helper_record(
    *,
    actor: Any,
    activity: Activity,
    hours: Any,
    session: Session | None = None,
    user: Any = None,
    resident: Resident | None = None,
    task: str = "",
    request: HttpRequest | None = None,
) -> Helper:
    """Record that a volunteer (an account or a registry resident) helped for ``hours``: at most 24 hours
    for a session, 24 hours per session for the activity as a whole; one entry per person and session."""
    errors: dict[str, list[str]] = {}
    if (user is None) == (resident is None):
        errors["user"] = [_("Choose the volunteer: an account or a resident.")]
    if session is not None and session.activity_id != activity.pk:
        errors["session"] = [_("Choose a session of this activity.")]
    if resident is not None and resident.community_id != activity.community_id:
        errors["user"] = [_("The resident does not live in this activity's community.")]
    if user is not None and not helper_candidates(activity).filter(pk=user.pk).exists():
        errors["user"] = [_("This account has no volunteer or staff role in the activity's community.")]
    value = Decimal(0)
    n = 1 if session is not None else max(activity.sessions.count(), 1)
    try:
        value = _hours(hours, min(MAX_SESSION_HOURS * n, MAX_ENTRY_HOURS))
    except ValidationError as exc:
        errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    task = (task or "").strip()[:200]
    name = (resident.name if resident is not None else (user.display_name or user.username))[:50]
    same = Helper.objects.filter(activity=activity, session=session)
    same = same.filter(user=user) if user is not None else same.filter(resident=resident)
    twice = ValidationError(
        {"user": [_("%(name)s is already recorded here; remove the entry to change it.") % {"name": name}]}
    )
    if same.exists():
        raise twice
    try:
        helper = _helper_insert(
            actor=actor,
            activity=activity,
            session=session,
            user=user,
            resident=resident,
            name=name,
            hours=value,
            task=task,
            request=request,
        )
    except IntegrityError:
        # Recorded at the same moment by someone else: the unique constraints let one entry in.
        if same.exists():
            raise twice from None
        raise
    return helper


def _helper_insert(
    *,
    actor: Any,
    activity: Activity,
    session: Session | None,
    user: Any,
    resident: Resident | None,
    name: str,
    hours: Decimal,
    task: str,
    request: HttpRequest | None,
) -> Helper:
    value = hours
    with transaction.atomic():
        helper = Helper.objects.create(
            community_id=activity.community_id,
            activity=activity,
            session=session,
            user=user,
            resident=resident,
            name=name,
            hours=value,
            task=task,
            recorded_by=actor,
        )
        record(
            Action.ACTIVITY_HELPER_RECORDED,
            actor=actor,
            obj=activity,
            request=request,
            data={"helper": helper.pk, "name": name, "hours": str(value), "session": session.pk if session else None},
        )
    return helper


def helper_remove(*, actor: Any, helper: Helper, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record(
            Action.ACTIVITY_HELPER_REMOVED,
            actor=actor,
            obj=helper.activity,
            request=request,
            data={"helper": helper.pk, "name": helper.name, "hours": str(helper.hours)},
        )
        Helper.objects.filter(pk=helper.pk).delete()


def helpers_of(activity: Activity) -> QuerySet[Helper]:
    return Helper.objects.filter(activity=activity).select_related("session", "recorded_by").order_by("pk")


def helpers_for_ledger(*, community: Any = None, user: Any = None) -> QuerySet[Helper]:
    """Rows for the duty and hours ledger: help of one account, or in one community (and below)."""
    qs = Helper.objects.select_related("activity", "session")
    q = Q()
    if community is not None:
        q &= OrgUnit.subtree_q(community, "community__")
    if user is not None:
        q &= Q(user=user)
    return qs.filter(q).order_by("created_at", "pk")
