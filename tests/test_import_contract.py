"""The import contract (DEVELOPMENT.md, "Layers"): the apps' layers and no cycles between apps, checked by
import-linter over `.importlinter` (also `make imports` and CI), and no ``_private`` name imported from another
module, checked here by reading every source file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(source: str, importer: str) -> list[tuple[int, str, str]]:
    """(line, module, name) for each private name ``importer`` takes from another ``anju`` module: imported by
    name (``from anju.x import _y``) or read off an imported module (``from anju import x`` … ``x._y``)."""
    tree = ast.parse(source)
    modules: dict[str, str] = {}
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "anju":
            for alias in node.names:
                if is_private(alias.name) and node.module != importer:
                    found.append((node.lineno, node.module, alias.name))
                full = f"{node.module}.{alias.name}"
                if (SRC / full.replace(".", "/")).is_dir() or (SRC / (full.replace(".", "/") + ".py")).exists():
                    modules[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "anju" and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and modules[node.value.id] != importer
            and is_private(node.attr)
        ):
            found.append((node.lineno, modules[node.value.id], node.attr))
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    offences = []
    for path in sorted((SRC / "anju").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = module_name(path)
        for line, module, name in private_imports(path.read_text(encoding="utf-8"), importer):
            offences.append(f"{path.relative_to(ROOT)}:{line}: {name} from {module}")
    assert offences == [], "give these a public name where other modules use them:\n" + "\n".join(offences)


def test_the_private_name_check_finds_both_shapes() -> None:
    source = (
        "from anju.spaces.rules import _vacate, vacate\n"
        "from anju.spaces import rules\n"
        "from anju.spaces.models import Booking\n"
        "rules._locked(Booking)\n"
        "rules.__name__\n"
    )
    found = private_imports(source, "anju.spaces.bookings")
    assert found == [(1, "anju.spaces.rules", "_vacate"), (4, "anju.spaces.rules", "_locked")]
    assert private_imports("from anju.spaces.rules import _vacate\n", "anju.spaces.rules") == []


def test_the_import_contract_holds(capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter import configuration
    from importlinter.application.use_cases import lint_imports

    configuration.configure()
    kept = lint_imports(config_filename=str(ROOT / ".importlinter"), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out
