"""The appeal timeline: system sentences are rendered in the reader's language (not frozen at write time),
typed notes stay as typed, and a department's steps name who acted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from anju.appeals import notes
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import AppealEvent
from anju.appeals.whistles import services as whistles
from anju.testing.appeals import AppealsWorld

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str) -> Client:
    c = Client()
    c.cookies["anju_language"] = language
    c.force_login(user)
    return c


def _timeline(user: Any, appeal_pk: int, language: str) -> str:
    response = _client(user, language).get(f"/appeals/{appeal_pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('<ol class="timeline">') :]


def test_dispatch_note_follows_the_readers_language(world: AppealsWorld) -> None:
    with translation.override("zh-hans"):
        appeal = world.file()
        dispatch.appeal_dispatch(
            actor=world.worker, appeal=appeal, department=world.tree.department, note="请尽快处理 today"
        )
    event = AppealEvent.objects.get(appeal=appeal, action="dispatch")
    dept = world.tree.department.name
    # Stored as a key and parameters, not as a translated sentence; the typed note is kept apart, as typed.
    # The department's id goes with it, for the roll-up rebuild (docs/rates.md); the sentence does not show it.
    params = {"department": dept, "department_id": world.tree.department.pk}
    assert (event.note_key, event.note_params, event.note) == ("dispatched", params, "请尽快处理 today")

    english = _timeline(world.worker, appeal.pk, "en")
    chinese = _timeline(world.worker, appeal.pk, "zh-hans")
    assert f"Dispatched to {dept}. 请尽快处理 today" in english
    assert "已派给" not in english
    assert f"已派给{dept}。 请尽快处理 today" in chinese
    assert "Dispatched to" not in chinese
    # The channel of the filing, too: rendered from its code.
    assert "Resident on the web" in english
    assert "居民网上提交" in chinese
    assert "Resident on the web" not in chinese


def test_typed_notes_are_shown_as_typed_in_every_language(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), "signed")
    handling.appeal_contact(actor=world.liaison, appeal=appeal, note="Called the resident 已电话联系")
    event = AppealEvent.objects.get(appeal=appeal, action="contact")
    assert event.note_key == ""
    for language in ("en", "zh-hans"):
        assert "Called the resident 已电话联系" in _timeline(world.worker, appeal.pk, language)


def test_every_system_sentence_renders_in_both_languages(world: AppealsWorld) -> None:
    appeal = world.to_status(world.file(), "verified")
    callback.appeal_callback(
        actor=world.resident, appeal=appeal, resolved=True, satisfaction=world.level("satisfied"), comment="谢谢"
    )
    second = world.to_status(world.file(actor=world.other_resident), "dispatched")
    whistles.whistle_blow(actor=world.worker, appeal=second, departments=[world.tree.department], minutes=30)
    summons = second.whistles.get().summonses.get()
    whistles.summons_checkin(actor=world.liaison, summons=summons)
    events = list(AppealEvent.objects.exclude(note_key="").order_by("id"))
    assert {e.note_key for e in events} >= {"filed", "dispatched", "callback", "whistle", "checkin_by"}
    for event in events:
        with translation.override("en"):
            english = event.text
        with translation.override("zh-hans"):
            chinese = event.text
        assert english, event.note_key
        assert chinese, event.note_key
        assert english != chinese, event.note_key
    callback_event = next(e for e in events if e.note_key == "callback")
    with translation.override("en"):
        assert callback_event.text.startswith("Resolved: yes.")
        assert callback_event.text.endswith("谢谢")
    with translation.override("zh-hans"):
        assert "Resolved" not in callback_event.text


def test_broken_or_unknown_keys_never_raise() -> None:
    assert notes.render("no-such-key", {}) == ""
    assert notes.render(notes.DISPATCHED, {}) == ""  # a missing parameter
    assert notes.render(notes.WHISTLE, {"names": ["a"], "minutes": "x"}) == ""  # wrong type
    assert notes.text("no-such-key", {}, "typed") == "typed"
    assert notes.text("", None, "  ") == ""


def test_old_rows_keep_their_stored_note(world: AppealsWorld) -> None:
    appeal = world.file()
    AppealEvent.objects.filter(appeal=appeal).update(note_key="", note_params={}, note="居民网上提交")
    assert "居民网上提交" in _timeline(world.worker, appeal.pk, "en")


def test_department_steps_name_the_department_when_no_person_acted(world: AppealsWorld) -> None:
    """Signing recorded by the system on the department's behalf (e.g. the demo, a department without a
    liaison account) names the department, not "System"; a liaison's step names the liaison and the
    department."""
    appeal = world.to_status(world.file(), "dispatched")
    handling.appeal_sign(actor=None, appeal=appeal)
    dept = world.tree.department.name
    event = AppealEvent.objects.get(appeal=appeal, action="sign")
    assert event.department == world.tree.department
    page = _timeline(world.worker, appeal.pk, "en")
    sign_line = next(line for line in page.split("<li") if "Signed" in line)
    assert dept in sign_line
    assert "System" not in sign_line

    other = world.to_status(world.file(actor=world.other_resident), "signed")
    page = _timeline(world.worker, other.pk, "en")
    sign_line = next(line for line in page.split("<li") if "Signed" in line)
    assert f"{world.liaison} · {dept}" in sign_line
    # The community's own steps carry no department.
    assert AppealEvent.objects.get(appeal=other, action="dispatch").department is None
