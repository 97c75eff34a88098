""" "Staff" and the other role sets are defined once, in ``access/roles.py``; pages and API operations
ask ``access.policy`` for a declared action instead of looking at role membership."""

from __future__ import annotations

import ast
from pathlib import Path

import anju
from anju.access import policy
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

SRC = Path(anju.__file__).resolve().parent


def _role_refs(node: ast.AST) -> int:
    return sum(
        1
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "Role"
    )


def staff_sets(source: str) -> list[str]:
    """Module-level names like ``STAFF`` bound to a collection of roles."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if node.value is not None and _role_refs(node.value) >= 2:
                found += [n for n in names if "STAFF" in n]
    return found


def role_branches(source: str) -> list[int]:
    """Lines that read a user's roles (``roles_of(...)``) or test ``Role.X in ...``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        reads_roles = (
            isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "roles_of"
        )
        tests_a_role = (
            isinstance(node, ast.Compare)
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and _role_refs(node.left) > 0
        )
        if reads_roles or tests_a_role:
            lines.append(getattr(node, "lineno", 0))
    return lines


def _sources() -> list[tuple[str, str]]:
    return [
        (p.relative_to(SRC).as_posix(), p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
        if "/migrations/" not in p.as_posix()
    ]


def _is_page_or_api(rel: str) -> bool:
    """Pages, API operations and home-page cards (``site/home.py``, each app's ``home.py``)."""
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(("views", "api", "home")) or name.endswith(("_views.py", "_api.py"))


def test_staff_is_defined_only_in_access_roles() -> None:
    found = [f"{rel}: {name}" for rel, src in _sources() if rel != "access/roles.py" for name in staff_sets(src)]
    assert found == []


def test_pages_and_api_ask_for_actions_not_roles() -> None:
    found = [f"{rel}:{line}" for rel, src in _sources() if _is_page_or_api(rel) for line in role_branches(src)]
    assert found == []


def test_the_scans_catch_planted_copies() -> None:
    assert staff_sets("STAFF = [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY]\n") == ["STAFF"]
    assert staff_sets("OTHER_STAFF: frozenset = frozenset({Role.GRID_WORKER, Role.ADMIN})\n") == ["OTHER_STAFF"]
    assert role_branches("is_staff = any(r in policy.roles_of(user) for r in STAFF)\n") == [1]
    assert role_branches("if Role.VOLUNTEER in roles:\n    pass\n") == [1]
    assert role_branches("ok = policy.can(user, 'appeal.triage', appeal)\n") == []


def test_apps_declare_their_actions_with_the_named_sets() -> None:
    assert {Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY} == STAFF_ROLES
    assert STAFF_ROLES | {Role.RESIDENT, Role.VOLUNTEER} == MEMBER_ROLES
    rules = policy.rules()
    for action in ("notice.manage", "activity.manage", "booking.manage", "appeal.triage"):
        assert rules[action].roles == STAFF_ROLES, action
    for action in ("booking.create", "appeal.file", "registration.view"):
        assert rules[action].roles == MEMBER_ROLES, action
