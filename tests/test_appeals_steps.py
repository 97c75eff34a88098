"""The step table (``anju.appeals.steps``): the appeal page and the API take every step through it, so each
step's permission is written once, and both give a step the same typed input."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

import anju.appeals
from anju.appeals import steps
from anju.appeals.models import Appeal, AppealEvent, Status
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]

APPEALS_DIR = Path(anju.appeals.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_api_module_of_appeals_imports_the_html_views() -> None:
    api_modules = [p for p in APPEALS_DIR.rglob("*.py") if p.name == "api.py"]
    assert len(api_modules) >= 2  # the appeals API and the configuration API
    for path in api_modules:
        views = {m for m in _imports(path) if m.endswith(".views") or ".views." in m}
        assert not views, (path, views)


def test_every_step_the_page_offers_is_in_the_table() -> None:
    offered: set[str] = set()
    for template in (APPEALS_DIR / "templates" / "appeals").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        offered.update(re.findall(r'with step="([a-z]+)"', text))
        offered.update(re.findall(r'name="action" value="([a-z]+)"', text))
    assert offered, "the templates changed shape: find the steps again"
    assert offered <= set(steps.STEPS), offered - set(steps.STEPS)


def test_each_step_declares_a_known_action() -> None:
    from anju.access import policy

    for step in steps.STEPS.values():
        assert step.action in policy.rules(), step  # an undeclared action would never be granted


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[steps.StepInput]:
    seen: list[steps.StepInput] = []
    original = steps.STEPS[name]

    def run(*, actor: Any, appeal: Appeal, data: steps.StepInput, request: Any) -> Any:
        seen.append(data)
        return original.run(actor=actor, appeal=appeal, data=data, request=request)

    monkeypatch.setitem(steps.STEPS, name, steps.Step(name, original.action, run))
    return seen


def test_the_page_and_the_api_give_a_step_the_same_typed_input(
    world: AppealsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy(monkeypatch, "dispatch")
    other = world.to_status(world.file(), Status.RECEIVED)
    page_appeal = world.to_status(world.file(), Status.ACCEPTED)
    api_appeal = world.to_status(world.file(), Status.ACCEPTED)
    dept = world.tree.department.pk
    client = english_client(world.worker)

    page = client.post(
        f"/appeals/{page_appeal.pk}/act/",
        {"action": "dispatch", "department": str(dept), "assisting": ["x", "0"], "note": "请处理", "original": "A1"},
    )
    assert page.status_code == 302, page.content[:300]
    api = client.post(
        f"/api/v1/appeals/{api_appeal.pk}/steps",
        json.dumps({"action": "dispatch", "department": dept, "note": "请处理", "original": 1}),
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert seen == [
        steps.StepInput(note="请处理", department_id=dept, original_id=1),
        steps.StepInput(note="请处理", department_id=dept, original_id=1),
    ]
    for appeal in (page_appeal, api_appeal):
        assert Appeal.objects.get(pk=appeal.pk).status == Status.DISPATCHED
    assert Appeal.objects.get(pk=other.pk).status == Status.RECEIVED


def test_a_step_of_another_role_is_missing_on_the_page_and_in_the_api(
    world: AppealsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The table alone decides: make "note" a triage step, and a department liaison loses it in both places.
    monkeypatch.setitem(steps.STEPS, "note", steps.Step("note", "appeal.triage", steps.STEPS["note"].run))
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    client = english_client(world.liaison)
    page = client.post(f"/appeals/{appeal.pk}/act/", {"action": "note", "note": "内部备注"})
    api = client.post(
        f"/api/v1/appeals/{appeal.pk}/steps",
        json.dumps({"action": "note", "note": "内部备注"}),
        content_type="application/json",
    )
    assert (page.status_code, api.status_code) == (404, 404)
    assert not AppealEvent.objects.filter(appeal=appeal, action="note").exists()
    monkeypatch.undo()
    ok = client.post(f"/appeals/{appeal.pk}/act/", {"action": "note", "note": "内部备注"})
    assert ok.status_code == 302
    assert AppealEvent.objects.filter(appeal=appeal, action="note").count() == 1


@pytest.mark.parametrize("original", ["abc", "A", "", "-3", "A99999999999999999999999"])
def test_a_duplicate_of_a_malformed_number_is_refused_not_a_server_error(world: AppealsWorld, original: str) -> None:
    appeal = world.to_status(world.file(), Status.RECEIVED)
    response = english_client(world.worker).post(
        f"/appeals/{appeal.pk}/act/", {"action": "duplicate", "original": original}
    )
    assert response.status_code == 422
    assert b"Enter the number of the original appeal." in response.content
    assert Appeal.objects.get(pk=appeal.pk).status == Status.RECEIVED


def test_a_duplicate_names_its_original_with_or_without_the_letter(world: AppealsWorld) -> None:
    original = world.file()
    first, second = world.file(), world.file()
    client = english_client(world.worker)
    for appeal, number in ((first, f"A{original.pk}"), (second, str(original.pk))):
        response = client.post(
            f"/appeals/{appeal.pk}/act/", {"action": "duplicate", "original": number, "confirmed": "1"}
        )
        assert response.status_code == 302, response.content[:300]
        assert Appeal.objects.get(pk=appeal.pk).status == Status.DUPLICATE


def test_an_unknown_step_is_a_validation_error_on_the_page_and_in_the_api(world: AppealsWorld) -> None:
    appeal = world.file()
    client = english_client(world.worker)
    page = client.post(f"/appeals/{appeal.pk}/act/", {"action": "teleport"})
    api = client.post(
        f"/api/v1/appeals/{appeal.pk}/steps", json.dumps({"action": "teleport"}), content_type="application/json"
    )
    assert (page.status_code, api.status_code) == (422, 422)
    assert api.json()["error"]["details"][0]["field"] == "action"
