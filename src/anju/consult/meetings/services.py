"""Every state change of meetings: planning (booking the space through ``spaces``), the agenda, invitations
through the inbox, check-in (the meeting's QR code) and the head count, minutes, decisions (each with an owner
and a due date, tracked to done, the owner reminded), and the summary published on the notice board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from anju.access import policy
from anju.access.roles import MEMBER_ROLES
from anju.accounts.models import RoleGrant
from anju.audit.actions import Action
from anju.audit.services import record
from anju.bulletin import services as bulletin
from anju.bulletin.models import Notice
from anju.consult.meetings import notices
from anju.consult.models import AgendaItem, Attendance, Decision, Invitation, Meeting, Topic
from anju.consult.topics.services import public_text
from anju.core.api import Conflict
from anju.inbox.services import inbox_send
from anju.orgs.models import OrgUnit
from anju.spaces import services as spaces
from anju.spaces.models import Space

MAX_HEAD_COUNT = 10_000
#: Check-in opens this long before the start and closes this long after the end.
CHECKIN_MARGIN = dt.timedelta(hours=1)
#: Owners are reminded from this many days before the due date, once a day until done.
REMIND_BEFORE = dt.timedelta(days=2)


def _when(meeting: Meeting) -> str:
    return timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")


def meeting_plan(
    *,
    actor: Any,
    community: OrgUnit,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    space: Space | None = None,
    topics: Sequence[Topic] = (),
    request: HttpRequest | None = None,
) -> Meeting:
    """Plan a meeting; with ``space`` the space is booked through ``spaces`` in the same transaction (a taken
    space refuses the meeting, nothing written)."""
    title = " ".join((title or "").split())
    place = " ".join((place or "").split())
    errors: dict[str, list[str]] = {}
    if kind not in Meeting.Kind.values:
        errors["kind"] = [_("Choose a kind of meeting from the list.")]
    if not title:
        errors["title"] = [_("Give it a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if len(place) > 200:
        errors["place"] = [_("At most 200 characters.")]
    if starts_at is None or ends_at is None or timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["starts_at"] = [_("Give the date and time.")]
    elif ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if space is not None and space.community_id != community.pk:
        errors["space"] = [_("Choose a space of this community.")]
    if space is None and not place:
        errors["place"] = [_("Say where it takes place, or book a space.")]
    if any(t.community_id != community.pk for t in topics):
        errors["topics"] = [_("Choose topics of this community.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        booking = None
        if space is not None:
            try:
                result = spaces.booking_create(
                    actor=actor, space=space, starts_at=starts_at, ends_at=ends_at, title=title, request=request
                )
            except Conflict as exc:  # the space is taken then: one kind of refusal for the pages and the API
                raise ValidationError({"space": [exc.message]}) from exc
            booking = result.bookings[0] if result.bookings else None
        meeting = Meeting.objects.create(
            community=community,
            kind=kind,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place or (space.name if space is not None else ""),
            space=space,
            booking=booking,
            organiser=actor,
        )
        _agenda(meeting, topics)
        record(
            Action.CONSULT_MEETING_PLANNED,
            actor=actor,
            obj=meeting,
            request=request,
            data={"kind": kind, "topics": [t.pk for t in topics], "booking": booking.pk if booking else None},
        )
    return meeting


def _agenda(meeting: Meeting, topics: Sequence[Topic]) -> None:
    start = meeting.agenda.count()
    for n, topic in enumerate(topics):
        AgendaItem.objects.get_or_create(
            meeting=meeting, topic=topic, defaults={"community_id": meeting.community_id, "position": start + n}
        )
        if topic.status == Topic.Status.OPEN:
            topic.status = Topic.Status.AGENDA
            topic.save(update_fields=["status", "updated_at"])


def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str, request: HttpRequest | None = None) -> Meeting:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError({"meeting": [_("Only a planned meeting can be cancelled.")]})
    with transaction.atomic():
        if meeting.booking is not None and meeting.booking.ends_at > timezone.now():
            spaces.booking_cancel(actor=actor, booking=meeting.booking, reason=reason, request=request)
        meeting.status = Meeting.Status.CANCELLED
        meeting.save(update_fields=["status"])
        record(
            Action.CONSULT_MEETING_CANCELLED, actor=actor, obj=meeting, request=request, data={"reason": reason[:200]}
        )
    return meeting


def residents_of(community: OrgUnit) -> list[int]:
    """The active accounts with a resident's or volunteer's role in ``community`` (or below it)."""
    return list(
        RoleGrant.objects.filter(
            OrgUnit.subtree_q(community, "unit__"),
            role__in=[r for r in MEMBER_ROLES if r in ("resident", "volunteer")],
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def meeting_invite(
    *, actor: Any, meeting: Meeting, users: Sequence[Any] | None = None, request: HttpRequest | None = None
) -> int:
    """Invite ``users`` (default: every resident account of the community) through the inbox; each account is
    invited once. Returns how many were newly invited."""
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError({"meeting": [_("Invitations go out before the meeting only.")]})
    ids = [getattr(u, "pk", u) for u in users] if users is not None else residents_of(meeting.community)
    with transaction.atomic():
        already = set(Invitation.objects.filter(meeting=meeting).values_list("user_id", flat=True))
        new = [i for i in dict.fromkeys(ids) if i not in already]
        Invitation.objects.bulk_create(
            [Invitation(community_id=meeting.community_id, meeting=meeting, user_id=i) for i in new],
            ignore_conflicts=True,
        )
        if new:
            inbox_send(
                recipients=new,
                kind=notices.INVITATION,
                community=meeting.community_id,
                params={"meeting": meeting.title, "date": _when(meeting), "place": meeting.place},
                url=reverse("consult:meeting", kwargs={"meeting_id": meeting.pk}),
                thread=f"consult-meeting-{meeting.pk}",
            )
        record(Action.CONSULT_INVITATIONS_SENT, actor=actor, obj=meeting, request=request, data={"invited": len(new)})
    return len(new)


def meeting_checkin(
    *,
    actor: Any,
    meeting: Meeting,
    token: str,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Attendance:
    """The actor checks in with the code of the meeting's QR poster (once; again answers the same row)."""
    now = now or timezone.now()
    if not token or token != meeting.checkin_token:
        raise ValidationError({"token": [_("This check-in code is not this meeting's.")]})
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"meeting": [_("This meeting was cancelled.")]})
    if not meeting.starts_at - CHECKIN_MARGIN <= now <= meeting.ends_at + CHECKIN_MARGIN:
        raise ValidationError({"meeting": [_("Check-in is open from an hour before the meeting until an hour after.")]})
    existing = Attendance.objects.filter(meeting=meeting, user=actor).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(community_id=meeting.community_id, meeting=meeting, user=actor)
            record(Action.CONSULT_CHECKED_IN, actor=actor, obj=meeting, request=request, data={})
    except IntegrityError:
        return Attendance.objects.get(meeting=meeting, user=actor)
    return attendance


def meeting_minutes(
    *,
    actor: Any,
    meeting: Meeting,
    minutes: str,
    head_count: int | None,
    request: HttpRequest | None = None,
) -> Meeting:
    """Save the minutes and the head count; the meeting is held from then on."""
    minutes = (minutes or "").strip()
    errors: dict[str, list[str]] = {}
    if meeting.status == Meeting.Status.CANCELLED:
        errors["meeting"] = [_("This meeting was cancelled.")]
    if not minutes:
        errors["minutes"] = [_("Write the minutes.")]
    elif len(minutes) > 20000:
        errors["minutes"] = [_("At most 20000 characters.")]
    if head_count is not None and not 0 <= int(head_count) <= MAX_HEAD_COUNT:
        errors["head_count"] = [_("The head count is between 0 and %(max)d.") % {"max": MAX_HEAD_COUNT}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting.minutes = public_text(minutes)
        meeting.head_count = head_count
        if meeting.status == Meeting.Status.PLANNED:
            meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["minutes", "head_count", "status"])
        record(Action.CONSULT_MINUTES_SAVED, actor=actor, obj=meeting, request=request, data={"head_count": head_count})
    return meeting


def decision_record(
    *,
    actor: Any,
    meeting: Meeting,
    topic: Topic | None,
    text: str,
    owner: Any,
    due_on: dt.date | None,
    request: HttpRequest | None = None,
) -> Decision:
    """Record a decision of ``meeting`` on ``topic`` (on its agenda), with its owner and due date; the owner is
    told through the inbox and the topic is decided."""
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if meeting.status == Meeting.Status.CANCELLED:
        errors["meeting"] = [_("This meeting was cancelled.")]
    if topic is None or not AgendaItem.objects.filter(meeting=meeting, topic=topic).exists():
        errors["topic"] = [_("Choose a topic on this meeting's agenda.")]
    if not text:
        errors["text"] = [_("Say what was decided.")]
    elif len(text) > 2000:
        errors["text"] = [_("At most 2000 characters.")]
    if owner is None:
        errors["owner"] = [_("Name who carries the decision out.")]
    elif not owner.is_active or not policy.can(owner, "consult.view", meeting):
        errors["owner"] = [_("The owner must be someone of this community.")]
    if due_on is None:
        errors["due_on"] = [_("Give a due date.")]
    elif due_on < timezone.localtime(meeting.starts_at).date():
        errors["due_on"] = [_("The due date cannot be before the meeting.")]
    if errors:
        raise ValidationError(errors)
    if topic is None or due_on is None:  # for mypy: refused above
        raise ValidationError({"topic": [_("Choose a topic on this meeting's agenda.")]})
    with transaction.atomic():
        decision = Decision.objects.create(
            community_id=meeting.community_id,
            meeting=meeting,
            topic=topic,
            text=public_text(text),
            owner=owner,
            due_on=due_on,
        )
        if topic.status in (Topic.Status.OPEN, Topic.Status.AGENDA):
            topic.status = Topic.Status.DECIDED
            topic.save(update_fields=["status", "updated_at"])
        inbox_send(
            recipients=[owner.pk],
            kind=notices.DECISION_ASSIGNED,
            community=meeting.community_id,
            params={"meeting": meeting.title, "due": due_on.isoformat(), "decision": decision.text[:80]},
            url=reverse("consult:topic", kwargs={"topic_id": topic.pk}),
            thread=f"consult-decision-{decision.pk}",
        )
        record(
            Action.CONSULT_DECISION_RECORDED,
            actor=actor,
            obj=decision,
            request=request,
            data={"meeting": meeting.pk, "topic": topic.pk, "owner": owner.pk, "due_on": due_on.isoformat()},
        )
    return decision


def decision_done(*, actor: Any, decision: Decision, note: str, request: HttpRequest | None = None) -> Decision:
    """The owner (or staff) reports a decision done, saying what was done (shown to residents: 每件事有回音)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what was done.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("At most 2000 characters.")]})
    with transaction.atomic():
        locked = Decision.objects.select_for_update().get(pk=decision.pk)
        if locked.status == Decision.Status.DONE:
            raise ValidationError({"decision": [_("This decision is done already.")]})
        locked.status, locked.done_at, locked.done_note = Decision.Status.DONE, timezone.now(), public_text(note)
        locked.save(update_fields=["status", "done_at", "done_note"])
        record(Action.CONSULT_DECISION_DONE, actor=actor, obj=locked, request=request, data={})
    return locked


def decisions_remind(*, now: dt.datetime | None = None) -> int:
    """Remind the owners of open decisions due within two days (or overdue), at most once a day each; safe to
    run twice or at once (rows claimed with ``SKIP LOCKED``, the day stored on the row). Returns how many."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        due = (
            Decision.objects.select_for_update(skip_locked=True)
            .filter(status=Decision.Status.OPEN, due_on__lte=today + REMIND_BEFORE)
            .exclude(reminded_on=today)
            .order_by("id")[:500]
        )
        rows = list(due)
        for decision in rows:
            inbox_send(
                recipients=[decision.owner_id],
                kind=notices.DECISION_DUE,
                community=decision.community_id,
                params={"due": decision.due_on.isoformat(), "decision": decision.text[:80]},
                url=reverse("consult:topic", kwargs={"topic_id": decision.topic_id}),
                thread=f"consult-decision-{decision.pk}",
            )
        if rows:
            Decision.objects.filter(pk__in=[d.pk for d in rows]).update(reminded_on=today)
            for community_id in sorted({d.community_id for d in rows}):
                record(
                    Action.CONSULT_DECISION_REMINDED,
                    community=OrgUnit.objects.get(pk=community_id),
                    data={"decisions": [d.pk for d in rows if d.community_id == community_id]},
                )
    return len(rows)


def summary_publish(*, actor: Any, meeting: Meeting, summary: str, request: HttpRequest | None = None) -> Notice:
    """Publish the meeting's summary (and its decisions) on the community's notice board, once."""
    summary = (summary or "").strip()
    errors: dict[str, list[str]] = {}
    if meeting.status != Meeting.Status.HELD:
        errors["meeting"] = [_("Publish the summary once the meeting is held and its minutes saved, and only once.")]
    if not summary:
        errors["summary"] = [_("Write the summary.")]
    elif len(summary) > 5000:
        errors["summary"] = [_("At most 5000 characters.")]
    if errors:
        raise ValidationError(errors)
    summary = public_text(summary)
    decisions = list(meeting.decisions.select_related("topic").order_by("id"))
    body = linebreaks(escape(summary))
    if decisions:
        items = "".join(f"<li>{escape(d.text)}（{escape(_('due'))} {d.due_on.isoformat()}）</li>" for d in decisions)
        body += f"<p>{escape(_('Decisions'))}</p><ul>{items}</ul>"
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != Meeting.Status.HELD:
            raise ValidationError(
                {"meeting": [_("Publish the summary once the meeting is held and its minutes saved, and only once.")]}
            )
        notice = bulletin.notice_create(
            actor=actor,
            community=locked.community,
            title=_("%(meeting)s: what we discussed and decided") % {"meeting": locked.title},
            body=body,
            category=Notice.Category.NEWS,
            request=request,
        )
        locked.summary, locked.notice, locked.status = summary, notice, Meeting.Status.PUBLISHED
        locked.save(update_fields=["summary", "notice", "status"])
        record(Action.CONSULT_SUMMARY_PUBLISHED, actor=actor, obj=locked, request=request, data={"notice": notice.pk})
    meeting.refresh_from_db()
    return notice
