"""Inbox hardening: a title with line breaks still goes out by email (one line), one failing row does not
stop the sweep, and message links can only be paths inside Anju."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from anju.accounts.models import User
from anju.accounts.roles import Role
from anju.inbox import kinds, tasks
from anju.inbox.models import Message, Outbox
from anju.inbox.services import inbox_send
from anju.testing import Tree, email_everyone, make_user

KIND = "tests.hardening"
kinds.register(KIND, "Cancelled: {reason}")

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree: Tree) -> tuple[User, User]:
    return (
        make_user(Role.RESIDENT, tree.building, username="hard_a"),
        make_user(Role.RESIDENT, tree.building, username="hard_b"),
    )


def test_a_title_with_line_breaks_is_sent_on_one_subject_line(
    tree: Tree, people: tuple[User, User], settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    inbox_send(recipients=[people[0]], kind=KIND, community=tree.community, params={"reason": "rain\r\nBcc: x@y"})

    assert tasks.deliver_outbox() == 1

    assert Outbox.objects.get().state == Outbox.State.SENT
    (sent,) = mail.outbox
    assert "\n" not in sent.subject
    assert "\r" not in sent.subject
    assert sent.subject == "Cancelled: rain Bcc: x@y"
    assert sent.to == ["hard_a@example.org"]


def test_one_row_that_cannot_be_sent_does_not_stop_the_others(
    tree: Tree, people: tuple[User, User], settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    inbox_send(recipients=list(people), kind=KIND, community=tree.community, params={"reason": "rain"})
    real = tasks.send_mail

    def picky(subject: str, body: str, sender: Any, to: list[str]) -> int:
        if to == ["hard_a@example.org"]:
            raise ValueError("header trouble")  # not an OSError
        return int(real(subject, body, sender, to))

    monkeypatch.setattr(tasks, "send_mail", picky)

    assert tasks.deliver_outbox() == 1

    states = dict(Outbox.objects.values_list("message__recipient__username", "state"))
    assert states == {"hard_a": Outbox.State.PENDING, "hard_b": Outbox.State.SENT}
    failed = Outbox.objects.get(message__recipient__username="hard_a")
    assert failed.attempts == 1
    assert failed.last_error == "header trouble"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://example.com/", "//example.com/x", "/\\example.com"])
def test_message_links_must_be_local_paths(tree: Tree, people: tuple[User, User], url: str) -> None:
    with pytest.raises(ValueError, match="local paths"):
        inbox_send(recipients=[people[0]], kind=KIND, community=tree.community, params={"reason": "x"}, url=url)
    assert not Message.objects.exists()


def test_a_local_path_is_kept(tree: Tree, people: tuple[User, User]) -> None:
    inbox_send(recipients=[people[0]], kind=KIND, community=tree.community, params={"reason": "x"}, url="/inbox/")
    assert Message.objects.get().url == "/inbox/"
