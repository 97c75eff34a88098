"""The appeal page for staff and departments: one primary next step for the state and the role with the rest
folded, department checkboxes, a search for a duplicate's original, one handling form for a department,
a confirmation before what cannot be undone, and messages that say what happened and who was told."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from anju.appeals.models import Appeal, Status
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def primary_of(html: str) -> str:
    found = re.search(r'data-primary-step="(\w*)"', html)
    return found.group(1) if found else ""


def forms_outside_the_fold(html: str) -> int:
    """How many step forms are shown unfolded (before the "more actions" fold)."""
    head = html.split("data-more-steps", 1)[0]
    section = head.split("data-steps", 1)[1] if "data-steps" in head else ""
    return section.count("<form")


@pytest.mark.parametrize(
    ("status", "who", "primary"),
    [
        (Status.RECEIVED, "worker", "accept"),
        (Status.ACCEPTED, "worker", "dispatch"),
        (Status.HANDLED, "worker", "verify"),
        (Status.DISPATCHED, "liaison", "sign"),
        (Status.SIGNED, "liaison", "handle"),
        (Status.IN_PROGRESS, "liaison", "handle"),
    ],
)
def test_one_primary_step_for_the_state_and_the_role(world: AppealsWorld, status: str, who: str, primary: str) -> None:
    appeal = world.to_status(world.file(), status)
    html = english_client(getattr(world, who)).get(f"/appeals/{appeal.pk}/").content.decode()
    assert primary_of(html) == primary
    assert forms_outside_the_fold(html) == 1  # one form in view; the rest are folded in <details>
    assert '<details class="more-steps"' in html


def test_a_worker_waiting_for_the_department_has_no_primary_step_until_it_is_late(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.DISPATCHED)
    client = english_client(world.worker)
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert primary_of(html) == ""
    assert "data-waiting" in html
    Appeal.objects.filter(pk=appeal.pk).update(due_at=appeal.received_at)  # long past
    assert primary_of(client.get(f"/appeals/{appeal.pk}/").content.decode()) == "remind"


def test_departments_are_checkboxes_not_a_multiple_select(world: AppealsWorld) -> None:
    appeal = world.file()
    html = english_client(world.worker).get(f"/appeals/{appeal.pk}/").content.decode()
    assert "multiple size" not in html
    assert '<select id="whistle-departments"' not in html
    assert f'type="checkbox" name="assisting" value="{world.tree.department.pk}"' in html
    assert f'type="checkbox" name="departments" value="{world.tree.department.pk}"' in html


def test_a_duplicate_is_marked_by_searching_for_the_original(world: AppealsWorld) -> None:
    original = world.file(description="广场路灯坏了三天")
    other_place = world.file(description="菜市场下水道堵了")
    appeal = world.file(actor=world.other_resident, description="路灯又不亮")
    client = english_client(world.worker)
    html = client.get(f"/appeals/{appeal.pk}/", {"dup_q": "广场"}).content.decode()
    block = html.split('data-step-block="duplicate"', 1)[1].split("</fieldset>", 1)[0]
    assert f'name="original" value="{original.pk}"' in block
    assert f'value="{other_place.pk}"' not in block
    assert f'value="{appeal.pk}"' not in block
    html = client.get(f"/appeals/{appeal.pk}/", {"dup_q": original.number}).content.decode()
    assert f'name="original" value="{original.pk}" checked' in html
    ask = client.post(f"/appeals/{appeal.pk}/act/", {"action": "duplicate", "original": original.pk})
    assert "data-original" in ask.content.decode()
    assert "广场路灯坏了三天" in ask.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == Status.RECEIVED
    done = client.post(f"/appeals/{appeal.pk}/act/", {"action": "duplicate", "original": original.pk, "confirmed": "1"})
    assert done.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).duplicate_of_id == original.pk
    # Another community's appeal is not offered (the service refuses it too).
    assert (
        "No appeal of this community matches."
        in client.get(f"/appeals/{original.pk}/", {"dup_q": "完全不存在的词"}).content.decode()
    )


@pytest.mark.parametrize(("step", "start"), [("reject", Status.RECEIVED), ("close", Status.VERIFIED)])
def test_irreversible_steps_ask_first(world: AppealsWorld, step: str, start: str) -> None:
    appeal = world.to_status(world.file(), start)
    client = english_client(world.worker)
    url = f"/appeals/{appeal.pk}/act/"
    ask = client.post(url, {"action": step, "note": "不属于受理范围"})
    html = ask.content.decode()
    assert ask.status_code == 200
    assert "This cannot be undone." in html
    assert "不属于受理范围</textarea>" in html  # the reason is kept, still editable
    assert Appeal.objects.get(pk=appeal.pk).status == start
    # Someone who may not take the step is not even asked.
    assert english_client(world.liaison).post(url, {"action": step, "note": "x"}).status_code == 404
    done = client.post(url, {"action": step, "note": "不属于受理范围", "confirmed": "1"})
    assert done.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).status != start


def test_one_handling_form_with_an_action_choice_for_the_liaison(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), Status.SIGNED)
    client = english_client(world.liaison)
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    form = html.split('data-step="handle"', 1)[1].split("</form>", 1)[0]
    choices = re.findall(r'name="action" value="(\w+)"', form)
    assert choices == ["contact", "progress", "wait", "feedback"]
    assert html.count("<textarea") - html.split('data-step="handle"', 1)[0].count("<textarea") >= 1
    assert 'data-step="contact"' not in html
    assert 'data-step="feedback"' not in html
    response = client.post(f"/appeals/{appeal.pk}/act/", {"action": "contact", "note": "电话联系"})
    assert response.status_code == 302
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    form = html.split('data-step="handle"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'name="action" value="(\w+)"', form) == ["progress", "wait", "feedback"]
    assert "Saved: the requester was contacted." in [str(m) for m in get_messages(response.wsgi_request)]


def test_messages_say_what_happened_and_who_was_told(world: AppealsWorld) -> None:
    appeal = world.file()
    client = english_client(world.worker)
    response = client.post(
        f"/appeals/{appeal.pk}/act/", {"action": "dispatch", "department": str(world.tree.department.pk)}
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Dispatched to {world.tree.department.name}; its liaisons were notified."]
    response = client.post(f"/appeals/{appeal.pk}/act/", {"action": "remind", "note": ""})
    said = [str(m) for m in get_messages(response.wsgi_request)][-1:]  # (the first was not shown yet)
    assert said == [f"Reminder sent to {world.tree.department.name}; its liaisons were notified."]
