"""The site-shell registry (``anju.core.registry``): each app registers its home cards, demo loader and shell
context from its ``AppConfig.ready()``, so core never imports a domain app."""

from __future__ import annotations

from typing import Any

import pytest

from anju.core import registry


def test_every_app_registers_its_pieces() -> None:
    assert [loader.name for loader in registry.demo_loaders()] == [
        "spaces",
        "people",
        "appeals",
        "activities",
        "bulletin",
        "duty",
        "pairing",
        "consult.topics",
        "contributions",
        "convention",
        "mediation",
        "consult.surveys",
        "consult.honours",
    ]
    assert {"appeal_card", "activities_card", "notice_card", "registry"} <= set(registry._home_cards)
    assert "inbox_unread" in registry._shell


def test_a_key_registered_twice_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_home_cards", {})

    def card(user: Any, kind: str) -> str:
        return kind

    registry.home_card("card", card)
    registry.home_card("card", card)  # the same function again (ready() run twice) is harmless
    with pytest.raises(ValueError, match="registered twice"):
        registry.home_card("card", lambda user, kind: None)


def test_a_card_with_nothing_to_show_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_home_cards", {})
    registry.home_card("shown", lambda user, kind: {"kind": kind})
    registry.home_card("hidden", lambda user, kind: None)
    assert registry.home_cards(None, "resident") == {"shown": {"kind": "resident"}}


def test_the_navigation_is_assembled_from_every_app_in_one_order() -> None:
    from anju.core import nav

    assert [item.url_name for item in nav.entries()] == [
        "core:home",
        "inbox:list",
        "appeals:list",
        "appeals:rates",
        "insights:dashboard",
        "people:residents",
        "people:households",
        "pairing:mine",
        "pairing:overview",
        "mediation:index",
        "spaces:stations",
        "consult:home",
        "consult:surveys",
        "activities:list",
        "duty:roster",
        "contributions:index",
        "bulletin:list",
        "consult:convention_mine",
        "consult:honours",
        "spaces:mine",
        "spaces:approvals",
        "orgs:tree",
        "orgs:departments",
        "orgs:taskforces",
        "appeals:config",
        "accounts:users",
        "accounts:locked",
        "accounts:proxy_record",
        "audit:events",
        "audit:pii",
        "jobs:status",
        "accounts:proxy",
        "accounts:profile",
    ]
    with pytest.raises(ValueError, match="registered twice"):
        nav.register(nav.NavItem("Elsewhere", "appeals:list", "appeal.view"), order=5)
