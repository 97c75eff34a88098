"""The inbox grouped by object: one row per thread with its newest message and counts that stay right when
a message, a thread or everything is marked read; and each person's own notice settings."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import User
from anju.audit.models import AuditEvent
from anju.inbox import kinds, preferences, selectors, services
from anju.inbox.models import Message, NoticeProfile, NoticeSetting
from anju.inbox.services import inbox_send
from anju.testing import Tree, english_client, make_user

kinds.register("tests.thread_overdue", "Overdue: appeal {number}")
kinds.register("tests.thread_note", "Note on appeal {number}")


@pytest.fixture
def worker(tree: Tree) -> User:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="thread_worker")


@pytest.fixture
def resident(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="thread_resident")


def about(tree: Tree, user: User, appeal: int, kind: str = "tests.thread_overdue") -> None:
    inbox_send(
        recipients=[user],
        kind=kind,
        community=tree.community,
        params={"appeal": appeal, "number": f"A{appeal}"},
        url=f"/appeals/{appeal}/",
    )


def badge(html: str) -> str:
    found = re.search(r'<span id="inbox-badge"[^>]*>.*?</span>(\d+)</span>', html)
    assert found is not None
    return found.group(1)


def test_repeats_about_one_object_are_one_thread_newest_on_top(tree: Tree, worker: User) -> None:
    for _ in range(3):
        about(tree, worker, 7)
    about(tree, worker, 7, kind="tests.thread_note")
    about(tree, worker, 8)
    assert Message.objects.filter(recipient=worker, read_at=None).count() == 5
    assert selectors.unread_threads(worker) == 2
    html = english_client(worker).get(reverse("inbox:list")).content.decode()
    assert html.count('<li id="thread-') == 2
    assert "2 matters with unread messages" in html
    assert badge(html) == "2"
    newest = Message.objects.filter(thread_key="appeal:7").order_by("-id").first()
    assert newest is not None
    row = html[html.index(f'id="thread-{newest.pk}"') :]
    row = row[: row.index("</li>")]
    assert "Note on appeal A7" in row  # the newest message of the thread is its row
    assert "4 new" in row
    assert "all 4 messages" in row
    # The thread page lists all four, newest first.
    page = english_client(worker).get(reverse("inbox:thread", args=[newest.pk])).content.decode()
    assert page.count('class="inbox-message') == 4
    assert page.index("Note on appeal A7") < page.index("Overdue: appeal A7")


def test_marking_a_thread_read_updates_the_row_the_heading_and_the_badge_in_place(tree: Tree, worker: User) -> None:
    for _ in range(3):
        about(tree, worker, 7)
    about(tree, worker, 8)
    newest = Message.objects.filter(thread_key="appeal:7").order_by("-id").first()
    assert newest is not None
    response = english_client(worker).post(reverse("inbox:read_thread", args=[newest.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<li id="thread-{newest.pk}" class="inbox-thread">')  # no longer unread
    assert "Mark read" not in html.split("</li>")[0]
    assert badge(html) == "1"
    assert re.search(r'<h2 class="card-title" id="inbox-h" hx-swap-oob="true">1 matter with unread messages</h2>', html)
    assert Message.objects.filter(recipient=worker, read_at=None).count() == 1
    event = AuditEvent.objects.get(action="inbox.read")
    assert event.data == {"messages": 3, "thread": True}


def test_marking_one_message_read_inside_a_thread_keeps_the_thread_unread(tree: Tree, worker: User) -> None:
    about(tree, worker, 7)
    about(tree, worker, 7)
    first = Message.objects.filter(recipient=worker).order_by("id").first()
    assert first is not None
    html = english_client(worker).post(reverse("inbox:read", args=[first.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert badge(html) == "1"  # one message of the thread is still unread
    assert selectors.unread_threads(worker) == 1
    services.thread_mark_read(actor=worker, message_id=first.pk)
    assert selectors.unread_threads(worker) == 0


def test_someone_elses_thread_answers_404(tree: Tree, worker: User, resident: User) -> None:
    about(tree, worker, 7)
    message = Message.objects.get(recipient=worker)
    client = english_client(resident)
    assert client.get(reverse("inbox:thread", args=[message.pk])).status_code == 404
    assert client.post(reverse("inbox:read_thread", args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_inbox_list_queries_do_not_grow_with_threads(tree: Tree, worker: User) -> None:
    client = english_client(worker)
    about(tree, worker, 1)
    client.get(reverse("inbox:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox:list"))
    for appeal in range(2, 40):
        about(tree, worker, appeal)
        about(tree, worker, appeal, kind="tests.thread_note")
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("inbox:list")).content.decode()
    assert html.count('<li id="thread-') == 25
    assert len(many) == len(few)
    # session + user, the grants for the menu, the badge (on PostgreSQL from its table of unread messages), and
    # for the list: count, page, newest messages.
    tables = ('"inbox_message"', '"inbox_unread"')
    thread_queries = [q["sql"] for q in many.captured_queries if any(table in q["sql"] for table in tables)]
    assert len(thread_queries) == 4, thread_queries


def test_empty_inbox_and_the_settings_link(worker: User) -> None:
    html = english_client(worker).get(reverse("inbox:list")).content.decode()
    assert "No messages yet" in html
    assert f'href="{reverse("inbox:settings")}"' in html


def test_threads_follow_the_object_named_or_the_link_or_stand_alone(tree: Tree, resident: User) -> None:
    for params, url in [({"booking": 3}, ""), ({"booking": 3}, "/x/"), ({}, "/activities/9/"), ({}, "/activities/9/")]:
        inbox_send(recipients=[resident], kind="tests.thread_note", community=tree.community, params=params, url=url)
    inbox_send(recipients=[resident], kind="tests.thread_note", community=tree.community, params={})
    inbox_send(recipients=[resident], kind="tests.thread_note", community=tree.community, params={})
    inbox_send(recipients=[resident], kind="tests.thread_note", community=tree.community, thread="custom")
    keys = list(Message.objects.order_by("id").values_list("thread_key", flat=True))
    assert keys[:4] == ["booking:3", "booking:3", "/activities/9/", "/activities/9/"]
    assert keys[4] != keys[5]
    assert keys[4].startswith("once:")
    assert keys[6] == "custom"
    assert selectors.unread_threads(resident) == 5


# --- notice settings ----------------------------------------------------------------------------


def test_workers_get_new_appeals_in_the_digest_by_default_residents_at_once(
    tree: Tree, worker: User, resident: User
) -> None:
    inbox_send(recipients=[worker, resident], kind="appeal.filed", community=tree.community, params={"number": "1"})
    held = Message.objects.get(recipient=worker)
    shown = Message.objects.get(recipient=resident)
    assert held.visible_at > timezone.now()
    assert "app" in held.digest_channels
    assert shown.visible_at <= timezone.now()
    assert shown.digest_channels == ""
    assert selectors.unread_threads(worker) == 0  # not yet: it comes with the digest
    assert selectors.unread_threads(resident) == 1


def test_settings_page_shows_and_saves_ones_own_choices(tree: Tree, worker: User, resident: User) -> None:
    client = english_client(resident)
    html = client.get(reverse("inbox:settings")).content.decode()
    assert "Notice settings" in html
    assert 'name="appeal.dispatched__app" disabled' in html  # must-read: always in the app
    assert "always in the app" in html
    response = client.post(
        reverse("inbox:settings"),
        {
            "spaces.booking_confirmed__app": "off",
            "spaces.booking_confirmed__email": "digest",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert response.status_code == 302
    rows = set(NoticeSetting.objects.values_list("user__username", "kind", "channel", "mode"))
    assert rows == {
        ("thread_resident", "spaces.booking_confirmed", "app", "off"),
        ("thread_resident", "spaces.booking_confirmed", "email", "digest"),
    }
    profile = NoticeProfile.objects.get(user=resident)
    assert (profile.quiet_start.hour, profile.quiet_end.hour) == (22, 7)
    event = AuditEvent.objects.get(action="inbox.settings")
    assert event.actor == resident
    assert event.data["changes"]["spaces.booking_confirmed app"] == ["now", "off"]
    assert event.data["changes"]["quiet hours"] == ["21:00–08:00", "22:00–07:00"]
    # Off in the app: filed as read, never counted.
    inbox_send(
        recipients=[resident],
        kind="spaces.booking_confirmed",
        community=tree.community,
        params={"space": "活动室", "when": "x", "booking": 1},
    )
    assert Message.objects.get(recipient=resident).read_at is not None
    assert selectors.unread_threads(resident) == 0
    # Saving the same again changes nothing and records nothing.
    client.post(
        reverse("inbox:settings"),
        {"spaces.booking_confirmed__app": "off", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert AuditEvent.objects.filter(action="inbox.settings").count() == 1
    # Nobody else's settings changed; the page has no way to name another person.
    assert not NoticeSetting.objects.filter(user=worker).exists()


def test_a_must_read_kind_cannot_be_turned_off_in_the_app(tree: Tree, worker: User) -> None:
    client = english_client(worker)
    response = client.post(reverse("inbox:settings"), {"appeal.dispatched__app": "off"})
    assert response.status_code == 400
    assert "not possible" in response.content.decode()
    assert not NoticeSetting.objects.exists()
    assert not AuditEvent.objects.filter(action="inbox.settings").exists()
    with pytest.raises(ValueError, match=r"appeal\.dispatched app digest"):
        services.notice_settings_update(actor=worker, modes={("appeal.dispatched", "app"): "digest"})
    # Even a row written around the service does not hide it.
    NoticeSetting.objects.create(user=worker, kind="appeal.dispatched", channel="app", mode="off")
    assert preferences.choices_for([worker.pk], "appeal.dispatched")[worker.pk].app == "now"


def test_bad_quiet_hours_change_nothing(worker: User) -> None:
    response = english_client(worker).post(reverse("inbox:settings"), {"quiet_start": "25:99", "quiet_end": "07:00"})
    assert response.status_code == 400
    assert "Quiet hours need a start and an end" in response.content.decode()
    assert not NoticeProfile.objects.exists()


def test_settings_page_needs_a_signed_in_user(client: Any, db: Any) -> None:
    response = client.get(reverse("inbox:settings"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(reverse("inbox:settings"), {"quiet_start": "", "quiet_end": ""}).status_code == 302
    assert not NoticeProfile.objects.exists()


def test_settings_page_reads_in_chinese(worker: User, client_for: Any) -> None:
    html = client_for(worker).get(reverse("inbox:settings")).content.decode()
    assert "通知设置" in html
    assert "每日汇总" in html
