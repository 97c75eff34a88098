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


@pytest.mark.django_db
def test_the_navigation_links_follow_the_script_prefix_they_are_served_under() -> None:
    """Each entry's URL is reversed once per URL configuration and script prefix, not once per page: a site
    served under a sub-path links there, and the same process serving at the root links to the root."""
    from django.urls import set_script_prefix

    from anju.access.roles import Role
    from anju.core import nav
    from anju.testing import build_tree, make_user

    tree = build_tree()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    try:
        set_script_prefix("/anju/")
        under = {item["url"] for item in nav.nav_for(worker, "/anju/appeals/")}
        set_script_prefix("/")
        root = {item["url"] for item in nav.nav_for(worker, "/appeals/")}
    finally:
        set_script_prefix("/")
    assert "/anju/appeals/" in under
    assert "/appeals/" not in under
    assert "/appeals/" in root
    assert "/anju/appeals/" not in root
    current = [item for item in nav.nav_for(worker, "/appeals/rates/") if item["current"]]
    assert [item["url"] for item in current] == ["/appeals/rates/"]
