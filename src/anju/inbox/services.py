"""Every state change of the inbox.

:func:`inbox_send` is called by other apps' services inside their own
transaction (it writes no audit row: the calling service records its one);
the mark-read services are the reader's own changes and record theirs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.functional import Promise

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import bulk
from anju.inbox import kinds, preferences
from anju.inbox.models import Channel, Message, Mode, NoticeProfile, NoticeSetting, Outbox, SmsOutbox

log = logging.getLogger(__name__)

_PLAIN = (str, int, float, bool, type(None))


def email_enabled() -> bool:
    """Email goes out only when the deployment configured it (``ANJU_EMAIL_ENABLED`` or an SMTP host)."""
    return bool(
        getattr(settings, "ANJU_EMAIL_ENABLED", False) or getattr(settings, "EMAIL_HOST", "") not in ("", "localhost")
    )


def sms_daily_cap() -> int:
    """At most this many SMS reach one person in a (local) day (``ANJU_SMS_DAILY_CAP``, 5 by default)."""
    return max(int(getattr(settings, "ANJU_SMS_DAILY_CAP", 5)), 0)


def address_of(user: Any) -> str:
    """Where to email the user's notices: their address, unless they have none or turned email off."""
    return str(getattr(user, "notice_email", "") or "")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if not isinstance(key, str):
            raise TypeError("message parameters are named by strings")
        if isinstance(value, Promise) or not isinstance(value, _PLAIN):
            # A lazy string would be frozen in the sender's language: pass data, register the wording.
            raise TypeError(f"message parameter {key!r} must be a plain str, number, bool or None")
        clean[key] = value
    return clean


def _user_ids(recipients: Iterable[Any]) -> list[int]:
    seen: dict[int, None] = {}
    for r in recipients:
        uid = r if isinstance(r, int) else getattr(r, "pk", None)
        if uid is not None:
            seen.setdefault(int(uid), None)
    return list(seen)


#: Parameters that name the object a message is about: messages about one object form one thread.
THREAD_OBJECTS = ("appeal", "booking", "series", "activity", "session")


def thread_key_for(params: Mapping[str, Any], url: str, thread: str = "") -> str:
    """The thread of a message: the given one, else the object its parameters name, else its link, else its own."""
    if thread:
        return thread[:120]
    for name in THREAD_OBJECTS:
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{name}:{value}"
    if url:
        return url[:120]
    return f"once:{uuid.uuid4().hex}"


def sms_rows_for(
    made: list[Message],
    users: list[Any],
    *,
    kind: str,
    params: Mapping[str, Any],
    at: Any,
    profiles: Mapping[int, NoticeProfile] | None = None,
) -> list[SmsOutbox]:
    """The SMS outbox rows for ``made`` (messages to ``users``): one per message whose recipient has a mobile
    number, held until the recipient's quiet hours end. Only the template's own parameters travel.
    ``profiles``: the recipients' notice profiles when the caller already read them (else one query)."""
    template = preferences.sms_templates().get(kind)
    if not template or not made:
        return []
    names = [str(n) for n in template.get("params", [])]
    values = {n: str(params.get(n, ""))[:60] for n in names}
    if profiles is None:
        profiles = {p.user_id: p for p in NoticeProfile.objects.filter(user_id__in=[u.pk for u in users])}
    rows = []
    for m, u in zip(made, users, strict=True):
        if not getattr(u, "mobile_sealed", ""):
            continue
        due = preferences.quiet_until(at, preferences.quiet_of(profiles.get(u.pk))) or at
        rows.append(
            SmsOutbox(
                community_id=m.community_id,
                message=m,
                recipient=u,
                kind=kind,
                template_code=str(template["code"])[:60],
                template_params=values,
                idempotency_key=f"sms:{m.pk}",
                created_at=at,
                next_attempt_at=due,
            )
        )
    return rows


CODE_KIND = "accounts.code"
CODE_TEMPLATE_DEFAULT = "SIGNIN_CODE"


def sms_code_send(*, mobile: str, code: str, user: Any, reference: str, community_id: int | None = None) -> None:
    """Registered with ``accounts.codes.on_send``: one SMS outbox row for one code, in the caller's
    transaction, keyed by the code's reference (a second call for the same code writes nothing), and a job
    that delivers it at once. Codes skip quiet hours and the daily notice cap (they have their own limits)."""
    from anju.core import crypto
    from anju.jobs.services import job_enqueue

    if SmsOutbox.objects.filter(idempotency_key=reference[:80]).exists():
        return
    template = preferences.sms_templates().get(CODE_KIND) or {}
    row = SmsOutbox.objects.create(
        community_id=community_id,
        recipient=user,
        phone_sealed=crypto.encrypt(mobile),
        kind=CODE_KIND,
        template_code=str(template.get("code") or CODE_TEMPLATE_DEFAULT)[:60],
        template_params={"code": code},
        idempotency_key=reference[:80],
    )
    job_enqueue("inbox.sms_now", {"row": row.pk}, dedupe_key=f"inbox.sms_now:{row.pk}")


@dataclass(frozen=True)
class Send:
    """One message of ``kind`` to each of ``recipients`` (see :func:`inbox_send`)."""

    recipients: Iterable[Any]
    kind: str
    community: Any
    params: Mapping[str, Any] | None = None
    url: str = ""
    email: bool = True
    sms: bool = True
    thread: str = ""


def inbox_send(
    *,
    recipients: Iterable[Any],
    kind: str,
    community: Any,
    params: Mapping[str, Any] | None = None,
    url: str = "",
    email: bool = True,
    sms: bool = True,
    thread: str = "",
) -> int:
    """Put one message of ``kind`` in each recipient's inbox; return how many were written.

    ``recipients`` are users or user ids (duplicates and inactive accounts are dropped). The title is not
    stored: it is rendered from ``kind`` and ``params`` in the reader's language when shown. Messages about
    one object share a thread (``thread``, or the object named in ``params``, or the link).

    Each recipient's notice settings (:mod:`anju.inbox.preferences`) decide the rest: in the app at once,
    held for the daily digest, or filed as read; an email outbox row (when ``email`` is true, email is
    configured and the recipient has an address) and an SMS outbox row (when ``sms`` is true, the kind has
    an SMS template and the recipient a mobile number) at once, or a mention in the daily digest. Outbox
    rows are written in the same transaction; the worker delivers them (:mod:`anju.inbox.tasks`).
    """
    send = Send(recipients, kind, community, params, url, email, sms, thread)
    return inbox_send_many([send])[0]


def inbox_send_many(sends: Iterable[Send]) -> list[int]:
    """:func:`inbox_send` for many sends at once (a sweep's batch), in a few statements whatever their number:
    one query of the recipients' settings per kind, one insert each of messages, email and SMS outbox rows.
    Returns how many messages each send wrote. A bad link or parameter raises before anything is written."""
    sends = list(sends)
    prepared: list[tuple[Send, dict[str, Any], int, list[int], str]] = []
    for send in sends:
        url = send.url
        if url and (not url.startswith("/") or url.startswith(("//", "/\\"))):
            # Links are paths inside Anju (``reverse()``); anything else could be ``javascript:`` or another site.
            raise ValueError(f"message links must be local paths, not {url!r}")
        if not kinds.is_registered(send.kind):
            log.warning("inbox: message kind %r is not registered; readers will see a generic title", send.kind)
        clean = _clean_params(send.params)
        community_id = send.community if isinstance(send.community, int) else send.community.pk
        prepared.append(
            (send, clean, community_id, _user_ids(send.recipients), thread_key_for(clean, url, send.thread))
        )
    wanted: dict[str, set[int]] = {}
    for send, _clean, _community, ids, _key in prepared:
        wanted.setdefault(send.kind, set()).update(ids)
    # Per kind, the active recipients with their settings, in the users' own order (as one send wrote them).
    users_by_kind: dict[str, dict[int, tuple[int, Any]]] = {}
    for kind, wanted_ids in wanted.items():
        if wanted_ids:
            qs = preferences.with_choices(get_user_model().objects.filter(pk__in=wanted_ids, is_active=True), kind)
            users_by_kind[kind] = {u.pk: (n, u) for n, u in enumerate(qs)}
    counts = [0] * len(prepared)
    at = timezone.now()
    held_until = preferences.next_digest_at(at)
    choices: dict[tuple[str, int], preferences.Choice] = {}
    channels = Channel.values
    memo: dict[tuple[Any, ...], preferences.Choice] = {}
    # The rows to write (as :data:`MESSAGE_COLUMNS`), and (recipient, send index) of each, in order.
    rows: list[tuple[Any, ...]] = []
    made: list[tuple[Any, int]] = []
    for i, (send, clean, community_id, ids, key) in enumerate(prepared):
        known = users_by_kind.get(send.kind, {})
        url = send.url[:300]
        for _n, u in sorted(known[uid] for uid in ids if uid in known):
            choice = choices.get((send.kind, u.pk))
            if choice is None:
                choice = choices[(send.kind, u.pk)] = preferences.choice_of(u, send.kind, memo)
            digest = ",".join(ch for ch in channels if choice.mode(ch) == Mode.DIGEST)
            rows.append(
                (
                    community_id,
                    u.pk,
                    send.kind,
                    clean,
                    url,
                    at,
                    key,
                    held_until if choice.app == Mode.DIGEST else at,
                    at if choice.app == Mode.OFF else None,
                    digest,
                )
            )
            made.append((u, i))
            counts[i] += 1
    if not made:
        return counts
    sending = email_enabled()
    wanted_out = [
        prepared[i][0].email and sending and choices[(prepared[i][0].kind, u.pk)].email == Mode.NOW and address_of(u)
        for u, i in made
    ]
    wanted_sms = [
        prepared[i][0].sms
        and choices[(prepared[i][0].kind, u.pk)].sms == Mode.NOW
        and preferences.sms_possible(prepared[i][0].kind)
        for u, i in made
    ]
    with transaction.atomic():
        if not any(wanted_out) and not any(wanted_sms):
            bulk.insert(Message, MESSAGE_COLUMNS, rows)
            return counts
        ids = [pk for (pk,) in bulk.insert(Message, MESSAGE_COLUMNS, rows, returning=("id",))]
        messages = [
            Message(pk=pk, community_id=row[0], recipient_id=row[1], kind=row[2], params=row[3], created_at=at)
            for pk, row in zip(ids, rows, strict=True)
        ]
        outgoing = [
            Outbox(community_id=m.community_id, message=m, created_at=at, next_attempt_at=at)
            for m, want in zip(messages, wanted_out, strict=True)
            if want
        ]
        if outgoing:
            Outbox.objects.bulk_create(outgoing)
        by_send: dict[int, list[tuple[Message, Any]]] = {}
        for m, (u, i), want in zip(messages, made, wanted_sms, strict=True):
            if want:
                by_send.setdefault(i, []).append((m, u))
        if by_send:
            uids = {u.pk for pairs in by_send.values() for _m, u in pairs}
            profiles = {p.user_id: p for p in NoticeProfile.objects.filter(user_id__in=uids)}
            texts = []
            for i, pairs in by_send.items():
                send, clean = prepared[i][0], prepared[i][1]
                texts += sms_rows_for(
                    [m for m, _u in pairs],
                    [u for _m, u in pairs],
                    kind=send.kind,
                    params=clean,
                    at=at,
                    profiles=profiles,
                )
            if texts:
                SmsOutbox.objects.bulk_create(texts)
    return counts


#: The columns :func:`inbox_send_many` writes, in its rows' order.
MESSAGE_COLUMNS = (
    "community",
    "recipient",
    "kind",
    "params",
    "url",
    "created_at",
    "thread_key",
    "visible_at",
    "read_at",
    "digest_channels",
)


def message_mark_read(*, actor: Any, message_id: int, request: HttpRequest | None = None) -> Message:
    """The reader marks one of their own messages read (404 for anyone else's)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().filter(recipient_id=getattr(actor, "pk", None), pk=message_id).first()
        )
        if message is None:
            raise Http404
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
            record(Action.INBOX_READ, actor=actor, obj=message, data={"messages": 1}, request=request)
    return message


def thread_mark_read(*, actor: Any, message_id: int, request: HttpRequest | None = None) -> int:
    """The reader marks every shown unread message of the thread of one of theirs read (404 for anyone else's);
    returns how many changed."""
    uid = getattr(actor, "pk", None)
    with transaction.atomic():
        message = Message.objects.filter(recipient_id=uid, pk=message_id).first()
        if message is None:
            raise Http404
        now = timezone.now()
        n = Message.objects.filter(
            recipient_id=uid, thread_key=message.thread_key, read_at=None, visible_at__lte=now
        ).update(read_at=now)
        if n:
            record(Action.INBOX_READ, actor=actor, obj=message, data={"messages": n, "thread": True}, request=request)
    return n


def messages_mark_all_read(*, actor: Any, request: HttpRequest | None = None) -> int:
    """The reader marks every shown unread message of theirs read; returns how many changed."""
    with transaction.atomic():
        now = timezone.now()
        n = Message.objects.filter(recipient_id=getattr(actor, "pk", None), read_at=None, visible_at__lte=now).update(
            read_at=now
        )
        if n:
            record(Action.INBOX_READ, actor=actor, data={"messages": n, "all": True}, request=request)
    return n


def notice_settings_update(
    *,
    actor: Any,
    modes: Mapping[tuple[str, str], str],
    quiet_start: Any = None,
    quiet_end: Any = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """The person changes their own notice settings: ``modes`` maps (kind, channel) to a mode; quiet hours
    for SMS (both empty: none). A choice that is not allowed (turning off a must-read kind in the app, SMS
    for a kind without a template, an unknown kind) raises ``ValueError`` and nothing changes. Choices equal
    to the default are stored too (a later change of defaults does not override a person's choice). Returns
    what changed, also recorded in the audit row."""
    if (quiet_start is None) != (quiet_end is None):
        raise ValueError("quiet hours need a start and an end")
    known = kinds.registered()
    for (kind, channel), mode in modes.items():
        if kind not in known or not preferences.allowed(kind, channel, mode):
            raise ValueError(f"{kind} {channel} {mode}")
    uid = actor.pk
    changed: dict[str, Any] = {}
    with transaction.atomic():
        current = {
            (k, ch): row
            for row in NoticeSetting.objects.select_for_update().filter(user_id=uid)
            for k, ch in [(row.kind, row.channel)]
        }
        table = {(r["kind"], ch): r["modes"][ch] for r in preferences.table_for(actor) for ch in Channel.values}
        now = timezone.now()
        for (kind, channel), mode in sorted(modes.items()):
            before = table.get((kind, channel))
            row = current.get((kind, channel))
            if row is None:
                if before == mode:
                    continue
                NoticeSetting.objects.create(user_id=uid, kind=kind, channel=channel, mode=mode, updated_at=now)
            elif row.mode != mode:
                row.mode, row.updated_at = mode, now
                row.save(update_fields=["mode", "updated_at"])
            else:
                continue
            changed[f"{kind} {channel}"] = [before, mode]
        profile = NoticeProfile.objects.select_for_update().filter(user_id=uid).first()
        before_quiet = preferences.quiet_of(profile)
        after_quiet = (quiet_start, quiet_end) if quiet_start is not None and quiet_start != quiet_end else None
        if before_quiet != after_quiet:
            if profile is None:
                profile = NoticeProfile(user_id=uid)
            profile.quiet_start, profile.quiet_end = after_quiet or (None, None)
            profile.save()
            changed["quiet hours"] = [_hours(before_quiet), _hours(after_quiet)]
        if changed:
            record(Action.INBOX_SETTINGS, actor=actor, obj=actor, data={"changes": changed}, request=request)
    return changed


def _hours(window: tuple[Any, Any] | None) -> str:
    return f"{window[0]:%H:%M}–{window[1]:%H:%M}" if window else ""
