"""What each app contributes to the site shell: home-page cards, the shell's per-page context and demo loaders.

Base apps never import domain apps (DEVELOPMENT.md, "Layers"). Instead each app registers its pieces from its
``AppConfig.ready()`` and the site (``anju.site``) asks this registry (pretix's dashboard-widget registry is the
pattern):

- :func:`home_card` — ``fn(user, kind) -> value | None``; the home page gets ``context[key] = value``;
- :func:`shell_context` — ``fn(request) -> value``; every page's shell gets ``context[key] = value``;
- :func:`demo_loader` — ``fn(demo: Demo) -> value``, run in ``order`` by ``anju demo`` inside its transaction;
  the value is kept in ``demo.made[name]`` for later loaders;
- :func:`record_panel` — ``fn(request, obj) -> html | None`` for a household's or a resident's page in the
  registry (``people``, a shared app, never imports the domains that add to it): the page shows each panel
  that answers, in ``order``. A panel reads what it shows in one query, whatever it holds.

Registering one key twice is a programming error and fails at start-up, as an unknown action does in the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HomeCard = Callable[[Any, str], Any]
ShellContext = Callable[[Any], Any]
RecordPanel = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Demo:
    """What ``anju demo`` has made before the apps' loaders run: the org units and departments by key, the
    community worker whose work activities and notices are, the print function, and each loader's result."""

    units: dict[str, Any]
    departments: dict[str, Any]
    staff: Any
    log: Callable[..., Any]
    made: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoLoader:
    name: str
    order: int
    load: Callable[[Demo], Any]


_home_cards: dict[str, HomeCard] = {}
_shell: dict[str, ShellContext] = {}
_demo: dict[str, DemoLoader] = {}
_panels: dict[str, tuple[int, RecordPanel]] = {}


def _add(table: dict[str, Any], key: str, value: Any) -> None:
    if key in table and table[key] is not value:
        raise ValueError(f"{key!r} is registered twice")
    table[key] = value


def home_card(key: str, fn: HomeCard) -> None:
    _add(_home_cards, key, fn)


def shell_context(key: str, fn: ShellContext) -> None:
    _add(_shell, key, fn)


def demo_loader(name: str, fn: Callable[[Demo], Any], *, order: int) -> None:
    if name in _demo and _demo[name].load is fn:
        return
    _add(_demo, name, DemoLoader(name=name, order=order, load=fn))


def record_panel(key: str, fn: RecordPanel, *, order: int = 50) -> None:
    if key in _panels and _panels[key][1] is fn:
        return
    _add(_panels, key, (order, fn))


def home_cards(user: Any, kind: str) -> dict[str, Any]:
    """Every registered card for this user and home kind; a card that answers None is left out."""
    cards = {key: fn(user, kind) for key, fn in _home_cards.items()}
    return {key: value for key, value in cards.items() if value is not None}


def shell(request: Any) -> dict[str, Any]:
    return {key: fn(request) for key, fn in _shell.items()}


def demo_loaders() -> list[DemoLoader]:
    return sorted(_demo.values(), key=lambda loader: (loader.order, loader.name))


def record_panels(request: Any, obj: Any) -> list[Any]:
    """The panels every app adds to the page of ``obj`` (a household or a resident), in order; a panel that
    answers None is left out."""
    ordered = sorted(_panels.items(), key=lambda item: (item[1][0], item[0]))
    panels = [fn(request, obj) for _key, (_order, fn) in ordered]
    return [panel for panel in panels if panel is not None]
