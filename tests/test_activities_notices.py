"""Notices through the shared inbox: the kinds are registered, and each event sends the right kind to the
right people with the parameters the titles need."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from anju.access.roles import Role
from anju.activities import notices, services
from anju.activities.models import Registration
from anju.jobs.worker import run_once
from anju.testing import make_user
from anju.testing.activities import ActivityWorld, first_session, make_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: Any) -> list[tuple[str, list[int], dict[str, Any], int | None]]:
    out: list[tuple[str, list[int], dict[str, Any], int | None]] = []

    def fake_send(
        *, kind: str, recipients: Any, community: Any, params: dict[str, Any], activity_id: Any = None
    ) -> int:
        assert kind in notices.KINDS
        for name in ("activity", "name", "when", "deadline", "reason"):
            if "{" + name + "}" in str(notices.KINDS[kind]):
                assert name in params, (kind, name)
        out.append((kind, sorted(recipients), params, activity_id))
        return len(out)

    monkeypatch.setattr(notices, "send", fake_send)
    return out


def test_every_kind_title_formats_with_its_params() -> None:
    params = {"name": "张桂兰", "activity": "老年课堂", "when": "2026-12-01 09:00", "deadline": "x", "reason": "y"}
    with translation.override("en"):
        for title in notices.KINDS.values():
            assert "{" not in str(title).format(**params)


def test_offer_expiry_and_promotion_send_notices(
    activity_world: ActivityWorld, sent: list[Any], monkeypatch: Any
) -> None:
    activity = make_activity(activity_world, capacity=1, target_tags=[], offer_hours=2)
    session = first_session(activity)
    users = [make_user(Role.RESIDENT, activity_world.tree.building) for _ in range(3)]
    first, second, third = (services.registration_create(actor=u, session=session) for u in users)
    assert sent == []
    services.registration_cancel(actor=users[0], registration=first)  # by oneself: no notice for that
    assert [(k, r) for k, r, _p, _a in sent] == [("activities.offer", [users[1].pk])]
    second.refresh_from_db()
    assert second.offer_expires_at is not None
    assert sent[0][2]["deadline"] == timezone.localtime(second.offer_expires_at).strftime("%Y-%m-%d %H:%M")
    assert sent[0][3] == activity.pk
    sent.clear()
    later = timezone.now() + timedelta(hours=2, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    run_once()
    run_once()
    assert [(k, r) for k, r, _p, _a in sent] == [
        ("activities.offer", [users[2].pk]),
        ("activities.offer_expired", [users[1].pk]),
    ]
    sent.clear()
    third.refresh_from_db()
    assert third.status == Registration.Status.OFFERED
    services.registration_accept(actor=activity_world.users["worker"], registration=third)  # staff, for them
    assert [(k, r) for k, r, _p, _a in sent] == [("activities.promoted", [users[2].pk])]
    sent.clear()
    # The participant taking up a place themselves is not told of their own act.
    fourth = services.registration_create(actor=activity_world.users["young"], session=session)
    services.registration_cancel(actor=users[2], registration=Registration.objects.get(pk=third.pk))
    sent.clear()
    services.registration_accept(
        actor=activity_world.users["young"], registration=Registration.objects.get(pk=fourth.pk)
    )
    assert sent == []


def test_a_notice_to_nobody_writes_nothing(activity_world: ActivityWorld) -> None:
    session = first_session(make_activity(activity_world, target_tags=[]))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    assert notices.send(kind=notices.OFFER, recipients=[None], community=None, params={}) == 0
    services.registration_cancel(actor=activity_world.users["worker"], registration=reg, reason="测试")
    reg.refresh_from_db()
    assert reg.status == "cancelled"


def test_messages_land_in_the_inbox_and_read_in_the_readers_language(activity_world: ActivityWorld) -> None:
    from anju.inbox import kinds
    from anju.inbox.models import Message

    session = first_session(make_activity(activity_world, target_tags=[]))
    reg = services.registration_create(actor=activity_world.users["resident"], session=session)
    services.registration_cancel(actor=activity_world.users["worker"], registration=reg, reason="名额调整")
    message = Message.objects.get(recipient=activity_world.users["resident"])
    assert message.kind == notices.REGISTRATION_CANCELLED
    assert message.community_id == activity_world.tree.community.pk
    assert message.url == f"/activities/{session.activity_id}/"
    with translation.override("en"):
        title = kinds.render(message.kind, message.params)
    assert title == "The organiser cancelled the registration of 张桂兰 for 老年课堂：智能手机入门: 名额调整"
    assert not Message.objects.filter(recipient=activity_world.users["worker"]).exists()  # the organiser is not told
    for kind in notices.KINDS:
        assert kinds.is_registered(kind)
