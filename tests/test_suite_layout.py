"""The test suite's own layout holds: tests live in ``tests/``, files are named after what they test, fixtures
are not copied between files, and no thread can wait forever."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "anju"
TESTS = ROOT / "tests"
WORK_ROUNDS = re.compile(r"_(polish|fixes|review|hardening|followup|round\d*|v\d+)(_|\.py$)")
SHARED_FIXTURES = {"tree", "world", "activity_world", "people_world", "demo", "english", "client_for"}


def _test_files() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def test_no_app_has_a_tests_package() -> None:
    assert sorted(str(p.relative_to(ROOT)) for p in PACKAGE.glob("*/tests")) == []
    assert sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("test_*.py")) == []


def test_files_are_named_after_what_they_test() -> None:
    assert [p.name for p in _test_files() if WORK_ROUNDS.search(p.name)] == []


def test_shared_fixtures_are_defined_once_in_conftest() -> None:
    """A module may refine a shared fixture by requesting it under the same name, never rebuild it."""
    copies = []
    for path in _test_files():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name in SHARED_FIXTURES:
                refines = node.name in {a.arg for a in node.args.args}
                decorated = any("fixture" in ast.unparse(d) for d in node.decorator_list)
                if decorated and not refines:
                    copies.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert sorted(copies) == []


def test_every_barrier_and_event_wait_has_a_timeout() -> None:
    """A thread that fails before the barrier would leave the others waiting, and CI hanging, for ever."""
    bare = []
    for path in [*_test_files(), *PACKAGE.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait"
                and not node.args
                and not any(k.arg == "timeout" for k in node.keywords)
            ):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []
