"""Who may do what with appeals.

Reach is checked against the appeal's community, ``upward`` so that a grid
worker or a resident granted below the community reaches it; the object
checks then narrow it: residents to their own appeals (or ones they follow),
liaisons to their department's, staff to their community.
"""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role
from anju.appeals.models import Status


def is_staff_for(user: Any, appeal: Any) -> bool:
    return policy.in_reach(user, appeal.community, roles=STAFF_ROLES, upward=True)


def is_overseer_for(user: Any, appeal: Any) -> bool:
    return policy.in_reach(user, appeal.community, roles=[Role.SUPERVISOR])


def liaison_departments(user: Any) -> set[int]:
    return {g.department_id for g in policy.grants_of(user) if g.role == Role.DEPARTMENT_LIAISON and g.department_id}


def is_liaison_for(user: Any, appeal: Any) -> bool:
    depts = liaison_departments(user)
    if not depts:
        return False
    if appeal.department_id in depts:
        return True
    return appeal.assists.filter(department_id__in=depts).exists()


def is_lead_liaison_for(user: Any, appeal: Any) -> bool:
    """A liaison of the lead department (首接负责): only they sign, contact, wait, give feedback or refer back;
    assisting departments record progress."""
    return appeal.department_id is not None and appeal.department_id in liaison_departments(user)


def is_party(user: Any, appeal: Any) -> bool:
    """The requester, whoever filed it, or a follower (我也遇到)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (appeal.requester_id, appeal.filed_by_id):
        return True
    return follows(appeal, user.pk)


def follows(appeal: Any, user_id: Any) -> bool:
    """Does the account follow the appeal (我也遇到)? An appeal's page asks up to four times (is she a party, may
    she answer a callback, is she a follower, may staff call her back): answered once per appeal object. A
    service that adds a follower drops the answers of the object it was given (:func:`forget_follows`)."""
    known: dict[Any, bool] | None = appeal.__dict__.get("_anju_follows")
    if known is None:
        known = appeal.__dict__["_anju_follows"] = {}
    if user_id not in known:
        known[user_id] = holds(appeal, "followers") and appeal.followers.filter(user_id=user_id).exists()
    return known[user_id]


def forget_follows(appeal: Any) -> None:
    appeal.__dict__.pop("_anju_follows", None)
    appeal.__dict__.pop("holds_followers", None)  # it has one now: ask


def holds(appeal: Any, name: str) -> bool:
    """May ``appeal`` have rows in its list ``name`` (of ``selectors.PAGE_LISTS``)? False only when the appeal was
    read by ``selectors.with_page_lists`` and the list was empty then; otherwise True (ask the database). Here,
    not in ``selectors``, because :func:`follows` asks it too."""
    return bool(getattr(appeal, f"holds_{name}", True))


def _view_check(user: Any, appeal: Any) -> bool:
    return (
        is_staff_for(user, appeal)
        or is_overseer_for(user, appeal)
        or is_liaison_for(user, appeal)
        or is_party(user, appeal)
    )


def _callback_check(user: Any, appeal: Any) -> bool:
    return is_staff_for(user, appeal) or is_party(user, appeal)


def _add_info_check(user: Any, appeal: Any) -> bool:
    """The requester (or whoever filed it) adds to an open appeal; a follower reads, a worker writes a note."""
    return bool(getattr(user, "is_authenticated", False)) and user.pk in (appeal.requester_id, appeal.filed_by_id)


def _insider_check(user: Any, appeal: Any) -> bool:
    return is_staff_for(user, appeal) or is_liaison_for(user, appeal) or is_overseer_for(user, appeal)


def _staff_check(user: Any, appeal: Any) -> bool:
    return is_staff_for(user, appeal)


def _liaison_check(user: Any, appeal: Any) -> bool:
    return is_liaison_for(user, appeal)


def _lead_check(user: Any, appeal: Any) -> bool:
    return is_lead_liaison_for(user, appeal)


ALL_USERS = [*MEMBER_ROLES, Role.DEPARTMENT_LIAISON, Role.SUPERVISOR]

declare("appeal.view", ALL_USERS, upward=True, check=_view_check, description="See an appeal")
declare(
    "appeal.file",
    MEMBER_ROLES,
    upward=True,
    description="File an appeal (for oneself, or on behalf of a resident)",
)
declare(
    "appeal.inside",
    [*STAFF_ROLES, Role.DEPARTMENT_LIAISON, Role.SUPERVISOR],
    upward=True,
    check=_insider_check,
    description="Read an appeal as an insider (staff of its community, a department on it, a supervisor above it):"
    " every callback, residents' names, unmasked notes",
)
declare(
    "appeal.file_for_others",
    [Role.VOLUNTEER, *STAFF_ROLES],
    upward=True,
    description="File an appeal on behalf of a resident (party members and station staff)",
)
declare(
    "appeal.export",
    [*STAFF_ROLES, Role.DEPARTMENT_LIAISON, Role.SUPERVISOR],
    upward=True,
    description="Export the appeal list as filtered to Excel (personal data masked as on the page)",
)
declare(
    "appeal.triage",
    STAFF_ROLES,
    upward=True,
    check=_staff_check,
    description="Accept, dispatch, verify, blow the whistle",
)
declare(
    "appeal.handle",
    [Role.DEPARTMENT_LIAISON],
    check=_liaison_check,
    description="Work on an appeal for a lead or assisting department (progress, on-site check-in)",
)
declare(
    "appeal.lead",
    [Role.DEPARTMENT_LIAISON],
    check=_lead_check,
    description="Sign, contact, wait, give feedback or refer back, for the lead department",
)


def _complex_check(user: Any, appeal: Any) -> bool:
    return is_staff_for(user, appeal) or is_lead_liaison_for(user, appeal)


declare(
    "appeal.complex",
    [*STAFF_ROLES, Role.DEPARTMENT_LIAISON],
    upward=True,
    check=_complex_check,
    description="Mark an appeal complex, with a reason (15 days' feedback): staff of its community or the lead"
    " department",
)
declare(
    "appeal.callback",
    MEMBER_ROLES,
    upward=True,
    check=_callback_check,
    description="Answer the callback",
)
declare(
    "appeal.poster",
    STAFF_ROLES,
    upward=True,
    description="Print the station-door poster of the no-account report page",
)
declare(
    "appeal.add_info",
    MEMBER_ROLES,
    upward=True,
    check=_add_info_check,
    description="Add information to one's own open appeal (shown on its timeline)",
)
declare(
    "appeal.rates", [*STAFF_ROLES, Role.SUPERVISOR, Role.DEPARTMENT_LIAISON], upward=True, description="Three rates"
)
declare(
    "home.rates",
    [Role.BRANCH_SECRETARY, Role.SUPERVISOR, Role.ADMIN],
    description="The three rates, overdue counts and ranking on a secretary's, supervisor's or administrator's home",
)
declare("appeal.configure", [Role.ADMIN], description="Catalogue, SLA and the satisfaction scale")
declare(
    "appeal.routes",
    [Role.BRANCH_SECRETARY],
    description="Routing rules (category to default department) of the org units in one's subtree",
)
declare("appeal.inbox", ALL_USERS, description="Read one's notifications")
declare(
    "appeal.link_requester",
    STAFF_ROLES,
    upward=True,
    check=_staff_check,
    description="Link a filed appeal to the requester's registry entry, or unlink it",
)


#: Who may reveal a requester's number in the appeal's community (``anju.appeals.requesters.services`` says why).
REVEAL_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.ADMIN})
#: The lead department's liaison may reveal it only while the department holds the appeal.
LIAISON_REVEAL_STATUSES = frozenset({Status.SIGNED, Status.IN_PROGRESS, Status.WAITING})


def may_reveal_contact(user: Any, appeal: Any) -> bool:
    """The object check of ``appeal.reveal`` (the reasons: ``anju.appeals.requesters.services``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if policy.is_superuser(user):
        return True
    if policy.in_reach(user, appeal.community, roles=REVEAL_ROLES):
        return True
    return (
        appeal.status in LIAISON_REVEAL_STATUSES
        and appeal.department_id is not None
        and appeal.department_id in liaison_departments(user)
    )


declare(
    "appeal.reveal",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.DEPARTMENT_LIAISON],
    check=may_reveal_contact,
    description="Reveal the requester's contact number, giving a reason (logged)",
)

declare(
    "appeal.publish",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Choose what the community publishes of its appeals (Open311, public pages)",
)
