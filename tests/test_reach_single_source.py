"""Reach (which org units a user's grants cover) is computed in one module, ``access/policy.py``.

Tree geometry lives in ``orgs`` (``OrgUnit.is_within``, ``subtree_of``, ``subtree_q``,
``paths_above``). Anywhere else, path-prefix arithmetic is a copy of reach waiting to drift — the
way a cross-community leak happens — so this test reads every module's syntax tree and refuses:

- a ``path__startswith`` lookup (keyword, string or f-string part),
- ``<x>.path.startswith(...)`` or ``<x>.startswith(<y>.path)``,
- ``PATH_STEP``,
- slicing a path by a multiple (``path[: i * step]``) or by a variable (``path[:i]``, its prefixes).
"""

from __future__ import annotations

import ast
from pathlib import Path

import anju

SRC = Path(anju.__file__).resolve().parent

# Modules allowed to do path arithmetic: the reach module and the org tree itself.
OWNERS = ("access/policy.py", "orgs/")

# Further exceptions, each with its reason. Keep this list tiny; prefer asking policy or orgs.
EXCEPTIONS: dict[str, str] = {}


def _is_path_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path"


def _is_a_path(node: ast.AST) -> bool:
    """``path``, ``<x>_path`` or ``<x>.path`` (not ``request.path``): an org-unit path, by its name."""
    if isinstance(node, ast.Name):
        return node.id == "path" or node.id.endswith("_path")
    return _is_path_attr(node) and not _is_request_path(node)


def _is_request_path(node: ast.AST) -> bool:
    """``request.path`` is a URL, not an org-unit path."""
    return _is_path_attr(node) and isinstance(node.value, ast.Name) and node.value.id == "request"  # type: ignore[attr-defined]


def reach_arithmetic(source: str) -> list[tuple[int, str]]:
    """The (line, what) of every piece of path arithmetic in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg and node.arg.endswith("path__startswith"):
            found.append((node.lineno, f"lookup {node.arg}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "path__startswith" in node.value:
            found.append((node.lineno, f"lookup in string {node.value!r}"))
        elif getattr(node, "attr", None) == "PATH_STEP" or getattr(node, "id", None) == "PATH_STEP":
            found.append((getattr(node, "lineno", 0), "PATH_STEP"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith":
            receiver = node.func.value
            if _is_request_path(receiver):
                continue
            if _is_path_attr(receiver) or any(_is_path_attr(a) for a in node.args):
                found.append((node.lineno, "path.startswith"))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            bounds = (node.slice.lower, node.slice.upper)
            if any(isinstance(b, ast.BinOp) and isinstance(b.op, ast.Mult) for b in bounds):
                found.append((node.lineno, "slice by a multiple"))
            elif _is_a_path(node.value) and any(b is not None and not isinstance(b, ast.Constant) for b in bounds):
                found.append((node.lineno, "prefixes of a path"))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel or rel.startswith(OWNERS):
            continue
        out.append((rel, path))
    return out


def test_no_module_outside_policy_and_orgs_computes_reach() -> None:
    problems = []
    for rel, path in _modules():
        if rel in EXCEPTIONS:
            continue
        for line, what in reach_arithmetic(path.read_text(encoding="utf-8")):
            problems.append(f"{rel}:{line}: {what} — ask access.policy (reach) or orgs (tree geometry)")
    assert problems == []


def test_every_exception_is_still_needed_and_explained() -> None:
    modules = dict(_modules())
    for rel, reason in EXCEPTIONS.items():
        assert reason.strip(), rel
        assert rel in modules, f"{rel} is gone: drop its exception"
        assert reach_arithmetic(modules[rel].read_text(encoding="utf-8")), f"{rel} no longer needs its exception"


def test_the_scan_covers_the_apps() -> None:
    scanned = {rel.split("/")[0] for rel, _ in _modules()}
    assert {"appeals", "people", "audit", "spaces", "activities", "bulletin", "core"} <= scanned


PLANTED = {
    "the old appeals copy": """
def _staff_q(user, roles):
    q = Q(pk__in=[])
    for g in policy.grants_of(user):
        if g.role in roles or g.role == Role.ADMIN:
            q |= Q(community__path__startswith=g.path)
            if len(g.path) > 10:
                q |= Q(community__path__in=[g.path[: i * 10] for i in range(1, len(g.path) // 10)])
    return q
""",
    "a PATH_STEP ancestor list": """
def up(g):
    step = OrgUnit.PATH_STEP
    return [g.path[:n] for n in range(step, len(g.path), step)]
""",
    "an object check by prefix": """
def is_staff_for(user, appeal):
    return any(appeal.community.path.startswith(g.path) for g in policy.grants_of(user))
""",
    "a reversed prefix with a local": """
def covers(grant, path):
    return path.startswith(grant.path)
""",
    "the prefixes of a grant's path": """
def area_q(paths):
    q = Q()
    for path in paths:
        q |= Q(area__path__in=[path[:i] for i in range(1, len(path) + 1)])
    return q
""",
    "a dynamic lookup": """
def scoped(qs, field, g):
    return qs.filter(**{f"{field}__path__startswith": g.path})
""",
}


def test_the_scan_catches_planted_copies() -> None:
    for name, source in PLANTED.items():
        assert reach_arithmetic(source), name


def test_the_scan_leaves_urls_and_plain_strings_alone() -> None:
    source = """
def middleware(request, current_path, url):
    if request.path.startswith("/api/"):
        return current_path.startswith(url)
    return "x".startswith("y")
"""
    assert reach_arithmetic(source) == []
