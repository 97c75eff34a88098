"""Every app has the file set of DEVELOPMENT.md's "Where things go", so anyone knows where a thing goes.

The rule, precisely:

- **Domain and shared apps** (every installed ``anju.<app>`` that is not a base app, the site or ``access``;
  a new module such as ``duty`` is held to it the day it is installed) have, at the app's top: ``apps``,
  ``models``, ``services``, ``selectors``, ``policies``, ``views``, ``urls``, ``api`` and ``admin``, each a
  module (``views.py``) or a package of that name (``spaces/views/``), and the directories ``migrations/`` and
  ``templates/<app>/``. Splitting by sub-domain (``appeals/intake/{services,views}.py``) is allowed beside them:
  the top keeps models, policies, selectors, the URL list and the API mount.
- **Base apps with tables** (``orgs``, ``accounts``, ``audit``, ``jobs``, ``calendar``) have ``apps``,
  ``models``, ``services``, ``policies``, ``admin`` and ``migrations/``; their pages, where they have some, follow
  the same names. ``core`` (helpers and the shell's registries), ``access`` (roles and the policy) and ``site``
  (the composition root) are not apps of a kind and are exempt.
- **No mixed names anywhere in an app**: no module named ``views_x.py``, ``x_views.py``, ``x_api.py``,
  ``x_urls.py``, ``x_config.py``… — a second file of a kind is a sub-package's module of the plain name.
- **Background work is declared in tasks modules only**: ``@task``/``@periodic`` appear in ``tasks.py`` alone.
- **Every installed app sits in a layer** of ``.importlinter``.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "anju"

BASE_WITH_TABLES = {"orgs", "accounts", "audit", "jobs", "calendar"}
EXEMPT = {"core", "access", "site"}
KINDS = ("apps", "models", "services", "selectors", "policies", "views", "urls", "api", "admin")
BASE_KINDS = ("apps", "models", "services", "policies", "admin")
# File stems that combine a kind with something else (``views_config``, ``people_views``, ``open311_urls``).
MIXABLE = ("models", "services", "selectors", "policies", "views", "api", "urls", "admin", "tasks", "forms", "config")


def installed_apps() -> list[str]:
    return [name.removeprefix("anju.") for name in settings.INSTALLED_APPS if name.startswith("anju.")]


def has_kind(app_dir: Path, kind: str) -> bool:
    return (app_dir / f"{kind}.py").is_file() or (app_dir / kind / "__init__.py").is_file()


def missing_files(app_dir: Path, app: str, *, base: bool) -> list[str]:
    kinds = BASE_KINDS if base else KINDS
    missing = [f"{kind}.py" for kind in kinds if not has_kind(app_dir, kind)]
    if not (app_dir / "migrations" / "__init__.py").is_file():
        missing.append("migrations/")
    if not base and not (app_dir / "templates" / app).is_dir():
        missing.append(f"templates/{app}/")
    return missing


def mixed_name(stem: str) -> bool:
    parts = stem.split("_")
    return len(parts) > 1 and (parts[0] in MIXABLE or parts[-1] in MIXABLE)


def declares_background_work(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in ("task", "periodic"):
                    return True
    return False


def _app_modules(app_dir: Path) -> list[Path]:
    return [p for p in sorted(app_dir.rglob("*.py")) if "migrations" not in p.relative_to(app_dir).parts]


def test_domain_and_shared_apps_have_the_whole_file_set() -> None:
    apps = [a for a in installed_apps() if a not in EXEMPT | BASE_WITH_TABLES]
    assert {"appeals", "spaces", "activities", "bulletin", "people", "inbox"} <= set(apps)
    problems = {a: missing_files(PACKAGE / a, a, base=False) for a in apps}
    assert {a: m for a, m in problems.items() if m} == {}


def test_base_apps_with_tables_have_their_file_set() -> None:
    assert set(installed_apps()) >= BASE_WITH_TABLES | {"core", "site"}
    problems = {a: missing_files(PACKAGE / a, a, base=True) for a in sorted(BASE_WITH_TABLES)}
    assert {a: m for a, m in problems.items() if m} == {}


def test_no_module_mixes_a_kind_into_its_name() -> None:
    found = [
        str(p.relative_to(PACKAGE))
        for app in installed_apps()
        for p in _app_modules(PACKAGE / app)
        if mixed_name(p.stem)
    ]
    assert found == []


def test_background_work_is_declared_in_tasks_modules() -> None:
    found = [
        str(p.relative_to(PACKAGE))
        for app in installed_apps()
        for p in _app_modules(PACKAGE / app)
        if p.name != "tasks.py" and declares_background_work(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_installed_app_sits_in_a_layer() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    layers = config["importlinter:contract:layers"]["layers"]
    in_layers = {
        name.strip().removeprefix("anju.") for line in layers.splitlines() for name in line.replace("|", ":").split(":")
    }
    assert [a for a in installed_apps() if a not in in_layers] == []


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The rules are not vacuous: a planted app without its files, a mixed name, a task outside tasks.py."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "__init__.py").write_text("")
    for kind in KINDS:
        (tmp_path / f"{kind}.py").write_text("")
    assert missing_files(tmp_path, "duty", base=False) == ["templates/duty/"]
    (tmp_path / "views.py").unlink()
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "__init__.py").write_text("")
    (tmp_path / "templates" / "duty").mkdir(parents=True)
    assert missing_files(tmp_path, "duty", base=False) == []
    (tmp_path / "selectors.py").unlink()
    assert missing_files(tmp_path, "duty", base=False) == ["selectors.py"]
    assert [
        s for s in ("views_config", "people_views", "open311_urls", "rota_config", "rates", "sitecode") if mixed_name(s)
    ] == [
        "views_config",
        "people_views",
        "open311_urls",
        "rota_config",
    ]
    assert declares_background_work('@periodic("duty.sweep", every_seconds=60)\ndef sweep():\n    pass\n')
    assert declares_background_work('@registry.task("duty.remind")\ndef remind(shift_id):\n    pass\n')
    assert not declares_background_work("def task():\n    pass\n")
