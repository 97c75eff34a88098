"""The shared inbox: sending in the caller's transaction, titles in the reader's language, the page, the
header badge, the API, and email delivery through the outbox."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import User
from anju.audit.models import AuditEvent
from anju.inbox import kinds, selectors, services, tasks
from anju.inbox.models import Message, Outbox
from anju.inbox.services import inbox_send
from anju.testing import Tree, build_tree, email_everyone, make_user, sqlite_file_database, thread_connection

KIND = "tests.parcel"
# "Inbox" has a translation in the compiled catalogue, so the reader's language shows.
kinds.register("tests.translated", gettext_lazy("Inbox"))
kinds.register(KIND, "Parcel {number} is waiting at {place}")
CANCELLED_KIND = "tests.cancelled"
kinds.register(CANCELLED_KIND, "Cancelled: {reason}")


@pytest.fixture
def resident(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="inbox_resident")


@pytest.fixture
def neighbour(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="inbox_neighbour")


def send(tree: Tree, *users: Any, n: int = 1, **kw: Any) -> int:
    return inbox_send(
        recipients=list(users),
        kind=kw.pop("kind", KIND),
        community=tree.community,
        params=kw.pop("params", {"number": n, "place": "东门"}),
        **kw,
    )


def english(client: Client) -> Client:
    client.cookies["anju_language"] = "en"
    return client


# --- sending ------------------------------------------------------------------------------------


def test_send_writes_one_message_per_distinct_active_recipient(tree: Tree, resident: User, neighbour: User) -> None:
    gone = make_user(Role.RESIDENT, tree.building)
    account_services.user_set_active(actor=None, user=gone, active=False, reason="moved away")
    made = send(tree, resident, resident.pk, neighbour, gone, None, url="/station/my/")
    assert made == 2
    assert sorted(Message.objects.values_list("recipient__username", flat=True)) == [
        "inbox_neighbour",
        "inbox_resident",
    ]
    message = Message.objects.get(recipient=resident)
    assert message.kind == KIND
    assert message.params == {"number": 1, "place": "东门"}
    assert message.url == "/station/my/"
    assert message.read_at is None
    assert message.community_id == tree.community.pk
    assert send(tree) == 0


def test_no_outbox_unless_email_is_configured_and_the_user_has_an_address(
    tree: Tree, resident: User, settings: Any, monkeypatch: Any
) -> None:
    settings.ANJU_EMAIL_ENABLED = False
    settings.EMAIL_HOST = "localhost"
    send(tree, resident)
    assert not Outbox.objects.exists()  # email not configured
    settings.ANJU_EMAIL_ENABLED = True
    send(tree, resident)
    assert not Outbox.objects.exists()  # accounts have no address
    email_everyone(settings, monkeypatch)
    send(tree, resident, email=False)
    assert not Outbox.objects.exists()  # the sender asked for in-app only
    send(tree, resident)
    row = Outbox.objects.get()
    assert row.state == Outbox.State.PENDING
    assert row.message.recipient == resident


def test_messages_and_outbox_roll_back_with_the_callers_transaction(
    tree: Tree, resident: User, settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)

    class Crash(Exception):
        pass

    def service() -> None:
        with transaction.atomic():
            assert send(tree, resident) == 1
            assert Outbox.objects.count() == 1
            raise Crash

    with pytest.raises(Crash):
        service()
    assert not Message.objects.exists()
    assert not Outbox.objects.exists()


def test_params_are_plain_data_never_lazy_text(tree: Tree, resident: User) -> None:
    with pytest.raises(TypeError):
        send(tree, resident, params={"number": gettext_lazy("Inbox")})
    with pytest.raises(TypeError):
        send(tree, resident, params={"number": object()})
    assert not Message.objects.exists()


# --- kinds and titles ---------------------------------------------------------------------------


def test_register_same_kind_twice_only_with_the_same_title() -> None:
    kinds.register(KIND, "Parcel {number} is waiting at {place}")
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register(KIND, "Something else {number}")
    with pytest.raises(ValueError, match="1 to 60"):
        kinds.register("", "x")


def test_titles_render_in_the_readers_language_at_display_time(tree: Tree, resident: User) -> None:
    send(tree, resident, kind="tests.translated", params={})
    message = Message.objects.get()
    with translation.override("en"):
        assert message.title == "Inbox"
    with translation.override("zh-hans"):
        assert message.title == "消息"


def test_unknown_kind_or_bad_params_give_a_generic_title_never_an_error(tree: Tree, resident: User) -> None:
    with translation.override("en"):
        assert kinds.render("nobody.registered", {"a": 1}) == "You have a new message"
        assert kinds.render(KIND, {"number": 3}) == "You have a new message"  # {place} missing
        assert kinds.render(KIND, {"number": 3, "place": "东门"}) == "Parcel 3 is waiting at 东门"
        kinds.register("tests.sneaky", "{number.__class__}")
        assert kinds.render("tests.sneaky", {"number": 3}) == "You have a new message"
        kinds.register("tests.broken", "{number")
        assert kinds.render("tests.broken", {"number": 3}) == "You have a new message"
    send(tree, resident, kind="nobody.registered", params={"x": 1})
    with translation.override("en"):
        assert Message.objects.get().title == "You have a new message"


# --- the page -----------------------------------------------------------------------------------


def test_page_lists_only_ones_own_messages_unread_first(
    tree: Tree, resident: User, neighbour: User, client_for: Any
) -> None:
    send(tree, resident, n=1)
    send(tree, resident, n=2)
    send(tree, neighbour, n=99)
    first = Message.objects.get(recipient=resident, params__number=1)
    services.message_mark_read(actor=resident, message_id=first.pk)
    send(tree, resident, n=3)
    html = english(client_for(resident)).get(reverse("inbox:list")).content.decode()
    assert "Parcel 99" not in html
    # Unread (3, 2 — newest first), then read (1).
    assert html.index("Parcel 3 ") < html.index("Parcel 2 ") < html.index("Parcel 1 ")
    assert "2 matters with unread messages" in html  # each parcel stands alone: no object, no link


def test_empty_inbox_says_so(resident: User, client_for: Any) -> None:
    html = english(client_for(resident)).get(reverse("inbox:list")).content.decode()
    assert "No messages yet" in html
    assert "Mark all read" not in html


def test_pagination(tree: Tree, resident: User, client_for: Any) -> None:
    for i in range(30):
        send(tree, resident, n=i)
    client = english(client_for(resident))
    page1 = client.get(reverse("inbox:list")).content.decode()
    page2 = client.get(reverse("inbox:list") + "?page=2").content.decode()
    assert page1.count('<li id="thread-') == 25
    assert page2.count('<li id="thread-') == 5
    assert "Page 1 of 2" in page1


def test_page_queries_do_not_grow_with_messages(
    tree: Tree, resident: User, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = english(client_for(resident))
    send(tree, resident)
    client.get(reverse("inbox:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox:list"))
    for i in range(20):
        send(tree, resident, n=i)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("inbox:list"))


def test_mark_read_htmx_updates_row_and_badge(tree: Tree, resident: User, client_for: Any) -> None:
    send(tree, resident, n=1)
    send(tree, resident, n=2)
    message = Message.objects.filter(recipient=resident).first()
    assert message is not None
    client = english(client_for(resident))
    response = client.post(reverse("inbox:read", args=[message.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="message-{message.pk}"' in html
    assert "Mark read" not in html  # the row is now read
    assert 'id="inbox-badge"' in html
    assert 'hx-swap-oob="true"' in html
    assert ">1</span>" in html  # one unread left
    message.refresh_from_db()
    assert message.read_at is not None
    event = AuditEvent.objects.get(action="inbox.read")
    assert event.actor == resident
    # Marking it again changes nothing and writes no second audit row.
    client.post(reverse("inbox:read", args=[message.pk]))
    assert AuditEvent.objects.filter(action="inbox.read").count() == 1


def test_mark_all_read_plain_form_and_htmx(tree: Tree, resident: User, neighbour: User, client_for: Any) -> None:
    for i in range(3):
        send(tree, resident, n=i)
    send(tree, neighbour)
    client = english(client_for(resident))
    response = client.post(reverse("inbox:read_all"))
    assert response.status_code == 302
    assert not Message.objects.filter(recipient=resident, read_at=None).exists()
    assert Message.objects.filter(recipient=neighbour, read_at=None).count() == 1  # others' untouched
    assert AuditEvent.objects.get(action="inbox.read").data["messages"] == 3
    send(tree, resident)
    response = client.post(reverse("inbox:read_all"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="inbox-list"' in html
    assert "No unread messages" in html


def test_opening_a_message_marks_it_read_and_follows_only_local_links(
    tree: Tree, resident: User, neighbour: User, client_for: Any
) -> None:
    send(tree, resident, n=1, url="/station/my/")
    send(tree, resident, n=2, url="/x/")
    send(tree, neighbour, n=3, url="/station/my/")
    local_link = Message.objects.get(params__number=1)
    external = Message.objects.get(params__number=2)
    # inbox_send refuses such links (tests/test_inbox_hardening.py); a row written another way (an old
    # migration, a bug) is still not followed.
    Message.objects.filter(pk=external.pk).update(url="https://elsewhere.example/phish")
    theirs = Message.objects.get(params__number=3)
    client = english(client_for(resident))
    html = client.get(reverse("inbox:list")).content.decode()
    assert f'action="{reverse("inbox:open", args=[local_link.pk])}"' in html
    response = client.post(reverse("inbox:open", args=[local_link.pk]))
    assert response["Location"] == "/station/my/"
    local_link.refresh_from_db()
    assert local_link.read_at is not None
    assert client.post(reverse("inbox:open", args=[external.pk]))["Location"] == reverse("inbox:list")
    assert client.post(reverse("inbox:open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inbox:open", args=[local_link.pk])).status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # Once read, the title is a plain link.
    assert 'href="/station/my/"' in client.get(reverse("inbox:list")).content.decode()


def test_someone_elses_message_answers_404_and_stays_unread(
    tree: Tree, resident: User, neighbour: User, client_for: Any
) -> None:
    send(tree, neighbour)
    theirs = Message.objects.get()
    assert client_for(resident).post(reverse("inbox:read", args=[theirs.pk])).status_code == 404
    assert client_for(resident).post(reverse("inbox:read", args=[theirs.pk + 1000])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for(resident).get(reverse("inbox:read", args=[theirs.pk])).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("inbox:list"))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_old_appeals_inbox_address_leads_to_the_shared_inbox(resident: User, client_for: Any) -> None:
    response = client_for(resident).get(reverse("appeals:inbox"))
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:list")


# --- the header badge ---------------------------------------------------------------------------


def test_unread_count_is_one_query(tree: Tree, resident: User, django_assert_num_queries: Any) -> None:
    for i in range(5):
        send(tree, resident, n=i)
    with django_assert_num_queries(1):
        assert selectors.unread_count(resident) == 5


def test_header_badge_on_every_page_costs_one_query(
    tree: Tree, resident: User, client_for: Any, monkeypatch: Any
) -> None:
    client = english(client_for(resident))
    html = client.get(reverse("core:home")).content.decode()
    assert 'id="inbox-badge" class="badge badge-danger" hidden' in html
    for i in range(4):
        send(tree, resident, n=i)
    calls: list[Any] = []
    original = selectors.unread_threads_of_request

    def counting(request: Any) -> int:
        calls.append(request)
        return original(request)

    from anju.inbox import shell

    monkeypatch.setattr(shell.selectors, "unread_threads_of_request", counting)
    html = client.get(reverse("core:home")).content.decode()
    assert len(calls) == 1  # computed once per page, however often the template uses it
    badge = re.search(r'<span id="inbox-badge"([^>]*)>(.*?)</span>(\d+)</span>', html)
    assert badge is not None
    assert badge.group(3) == "4"
    assert "hidden" not in badge.group(1)
    assert f'href="{reverse("inbox:list")}"' in html


# --- the API ------------------------------------------------------------------------------------


def test_api_lists_counts_and_marks_ones_own(tree: Tree, resident: User, neighbour: User, client_for: Any) -> None:
    send(tree, resident, n=1, url="/station/my/")
    send(tree, resident, n=2)
    send(tree, neighbour, n=3)
    client = english(client_for(resident))
    body = client.get("/api/v1/inbox/messages").json()
    assert body["count"] == 2
    assert [m["title"] for m in body["results"]] == ["Parcel 2 is waiting at 东门", "Parcel 1 is waiting at 东门"]
    assert body["results"][1]["url"] == "/station/my/"
    assert client.get("/api/v1/inbox/unread").json() == {"unread": 2, "threads": 2}
    first = body["results"][1]["id"]
    response = client.post(f"/api/v1/inbox/messages/{first}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/inbox/messages?unread=true").json()["count"] == 1
    theirs = Message.objects.get(recipient=neighbour).pk
    assert client.post(f"/api/v1/inbox/messages/{theirs}/read").status_code == 404
    assert client.post("/api/v1/inbox/messages/read-all").json() == {"marked": 1}
    assert client.get("/api/v1/inbox/unread").json() == {"unread": 0, "threads": 0}
    assert Message.objects.get(recipient=neighbour).read_at is None
    # A thread at once: two messages about one booking.
    send(tree, resident, n=4, params={"booking": 5, "number": 4, "place": "东门"})
    send(tree, resident, n=5, params={"booking": 5, "number": 5, "place": "东门"})
    assert client.get("/api/v1/inbox/unread").json() == {"unread": 2, "threads": 1}
    newest = client.get("/api/v1/inbox/messages?unread=true").json()["results"][0]
    assert newest["thread_key"] == "booking:5"
    assert client.post(f"/api/v1/inbox/messages/{newest['id']}/read-thread").json() == {"marked": 2}
    assert client.post(f"/api/v1/inbox/messages/{theirs}/read-thread").status_code == 404


def test_api_needs_a_signed_in_user(client: Client) -> None:
    assert client.get("/api/v1/inbox/messages").status_code == 401


# --- email delivery -----------------------------------------------------------------------------


def test_worker_sends_each_email_once_in_the_readers_language(
    tree: Tree, resident: User, neighbour: User, settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    neighbour.preferred_language = "zh-hans"
    neighbour.save(update_fields=["preferred_language"])
    send(tree, resident, neighbour, kind="tests.translated", params={}, url="/inbox/")
    assert tasks.deliver_outbox() == 2
    assert tasks.deliver_outbox() == 0  # idempotent: nothing left to send
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["inbox_resident@example.org"].subject == "Inbox"
    assert by_address["inbox_neighbour@example.org"].subject == "消息"
    assert "/inbox/" in by_address["inbox_resident@example.org"].body
    assert set(Outbox.objects.values_list("state", flat=True)) == {Outbox.State.SENT}


def test_failed_sends_retry_with_backoff_then_give_up(
    tree: Tree, resident: User, settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    send(tree, resident)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(tasks, "send_mail", refuse)
    row = Outbox.objects.get()
    waits = []
    for attempt in range(1, tasks.MAX_ATTEMPTS + 1):
        before = timezone.now()
        assert tasks.deliver_outbox() == 0
        row.refresh_from_db()
        assert row.attempts == attempt
        assert row.last_error == "connection refused"
        if attempt < tasks.MAX_ATTEMPTS:
            assert row.state == Outbox.State.PENDING
            waits.append(row.next_attempt_at - before)
            assert tasks.deliver_outbox() == 0  # not due yet: untouched
            row.refresh_from_db()
            assert row.attempts == attempt
            Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert row.state == Outbox.State.FAILED
    assert all(b > a for a, b in itertools.pairwise(waits))  # the wait grows
    assert waits[0] >= dt.timedelta(seconds=59)


def test_rows_without_address_or_with_email_off_are_skipped(
    tree: Tree, resident: User, settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    send(tree, resident)
    settings.ANJU_EMAIL_ENABLED = False
    settings.EMAIL_HOST = "localhost"
    assert tasks.deliver_outbox() == 0
    assert Outbox.objects.get().state == Outbox.State.SKIPPED
    assert mail.outbox == []


def test_two_sweeps_in_a_row_never_send_twice(tree: Tree, resident: User, settings: Any, monkeypatch: Any) -> None:
    email_everyone(settings, monkeypatch)
    for i in range(5):
        send(tree, resident, n=i)
    assert tasks.deliver_outbox(batch=3) == 3
    assert tasks.deliver_outbox(batch=3) == 2
    assert tasks.deliver_outbox(batch=3) == 0
    assert len(mail.outbox) == 5
    assert len({m.subject for m in mail.outbox}) == 5


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_email_exactly_once(settings: Any, monkeypatch: Any, tmp_path: Any) -> None:
    """Two threads, each with its own connection, sweep the same outbox at the same moment; the mail server is
    slow, so their sweeps overlap. Every email goes out once."""
    email_everyone(settings, monkeypatch)
    sent_to: list[str] = []
    start = threading.Barrier(2)

    def slow_send(subject: str, body: str, sender: Any, to: list[str]) -> int:
        time.sleep(0.01)
        sent_to.extend(to)
        return 1

    monkeypatch.setattr(tasks, "send_mail", slow_send)
    with sqlite_file_database(tmp_path / "outbox.sqlite3"):
        tree = build_tree()
        users = [make_user(Role.RESIDENT, tree.building) for _ in range(20)]
        inbox_send(recipients=users, kind=KIND, community=tree.community, params={"number": 1, "place": "东门"})
        errors: list[BaseException] = []
        counts: dict[str, int] = {}

        def worker(label: str) -> None:
            with thread_connection():
                try:
                    start.wait(timeout=30)
                    total = 0
                    while n := tasks.deliver_outbox(batch=4):
                        total += n
                    counts[label] = total
                except BaseException as exc:  # noqa: BLE001  reported below
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert counts["a"] + counts["b"] == 20
        assert sorted(sent_to) == sorted(f"{u.username}@example.org" for u in users)
        assert set(Outbox.objects.values_list("state", flat=True)) == {Outbox.State.SENT}
        assert set(Outbox.objects.values_list("attempts", flat=True)) == {1}


# --- appeals on the shared inbox ----------------------------------------------------------------


def test_appeal_messages_have_full_titles_in_each_language(tree: Tree) -> None:
    """Every message the appeals services write carries what its registered title needs (no generic fallback),
    and reads in the reader's language."""
    from anju.appeals import clock, sla
    from anju.appeals.dispatch import services as dispatch
    from anju.appeals.whistles import services as whistles
    from anju.testing.appeals import make_appeals_world

    world = make_appeals_world(tree)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_current_timezone())
    with clock.frozen(start):
        appeal = world.file()
    with clock.frozen(start + dt.timedelta(minutes=5)):
        whistles.whistle_blow(actor=world.worker, appeal=appeal, departments=[tree.department], minutes=30)
    sla.sweep_escalations(now=dt.datetime(2026, 3, 20, 9, 0, tzinfo=start.tzinfo))
    with clock.frozen(dt.datetime(2026, 3, 20, 10, 0, tzinfo=start.tzinfo)):
        dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=tree.department)
    kinds_seen = set(Message.objects.values_list("kind", flat=True))
    assert {"appeal.filed", "appeal.whistle", "appeal.dispatched", "escalation.1", "escalation.4"} <= kinds_seen
    for message in Message.objects.all():
        with translation.override("en"):
            title = message.title
        assert title != "You have a new message", (message.kind, message.params)
        assert appeal.number in title
        assert "note" not in message.params
        with translation.override("zh-hans"):
            assert message.title  # renders (translated once the lead compiles the catalogue)
    with translation.override("en"):
        whistle = Message.objects.filter(kind="appeal.whistle").first()
        assert whistle is not None
        assert whistle.title == f"Whistle: report on site for appeal {appeal.number} within 30 minutes"
        dispatched = Message.objects.filter(kind="appeal.dispatched").first()
        assert dispatched is not None
        assert dispatched.title == f"Appeal {appeal.number} dispatched to {tree.department.name}"
        reminder = Message.objects.filter(kind="escalation.1").first()
        assert reminder is not None
        assert reminder.title.startswith(f"Reminder before the deadline: appeal {appeal.number}, due 2026-03-0")


# --- subject lines, a failing row, local links -----------------------------------------------------------


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
    inbox_send(
        recipients=[people[0]], kind=CANCELLED_KIND, community=tree.community, params={"reason": "rain\r\nBcc: x@y"}
    )

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
    inbox_send(recipients=list(people), kind=CANCELLED_KIND, community=tree.community, params={"reason": "rain"})
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
        inbox_send(
            recipients=[people[0]], kind=CANCELLED_KIND, community=tree.community, params={"reason": "x"}, url=url
        )
    assert not Message.objects.exists()


def test_a_local_path_is_kept(tree: Tree, people: tuple[User, User]) -> None:
    inbox_send(
        recipients=[people[0]], kind=CANCELLED_KIND, community=tree.community, params={"reason": "x"}, url="/inbox/"
    )
    assert Message.objects.get().url == "/inbox/"
