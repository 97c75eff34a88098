"""What reaches a person, on which channel and when: their :class:`~anju.inbox.models.NoticeSetting`
rows over defaults per role.

Channels: in the app (always written; a must-read kind always shows at once), email, SMS. Modes:
``now`` (immediately), ``digest`` (summarised once a day), ``off``. Defaults:

* in the app and by email, everything at once, except that people who handle appeals (community and
  grid workers, secretaries, liaisons, supervisors) get *new appeals* in the daily digest: those were
  the flood, one message per appeal;
* by SMS, only kinds that have a provider template (``ANJU_SMS_TEMPLATES``): residents get them at once,
  people who handle appeals only whistles (report on site within minutes).

Quiet hours hold SMS until they end (default 21:00–08:00 local time); a person may change or clear them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from anju.access.roles import Role
from anju.inbox import kinds
from anju.inbox.models import Channel, Mode, NoticeProfile, NoticeSetting
from anju.inbox.policies import WORK_NOTICES

#: Kinds people who handle appeals get in the daily digest by default (in the app and by email).
WORK_DIGEST_KINDS = frozenset({"appeal.filed"})
#: Kinds people who handle appeals get by SMS by default (when a template exists).
WORK_SMS_KINDS = frozenset({"appeal.whistle"})
DEFAULT_QUIET = (time(21, 0), time(8, 0))


def sms_templates() -> dict[str, dict[str, Any]]:
    """``{kind: {"code": template code, "params": [names of the message parameters it takes]}}``."""
    configured = getattr(settings, "ANJU_SMS_TEMPLATES", None) or {}
    return {k: v for k, v in configured.items() if isinstance(v, dict) and v.get("code")}


def sms_possible(kind: str) -> bool:
    return kind in sms_templates()


def default_mode(kind: str, channel: str, *, work: bool) -> str:
    if channel == Channel.SMS:
        if not sms_possible(kind):
            return Mode.OFF
        if work:
            return Mode.NOW if kind in WORK_SMS_KINDS else Mode.OFF
        return Mode.NOW
    if work and kind in WORK_DIGEST_KINDS:
        return Mode.DIGEST
    return Mode.NOW


def allowed(kind: str, channel: str, mode: str) -> bool:
    """Whether ``mode`` may be chosen for ``kind`` on ``channel``."""
    if mode not in Mode.values or channel not in Channel.values:
        return False
    if channel == Channel.APP and kinds.is_must_read(kind):
        return mode == Mode.NOW
    if channel == Channel.SMS and not sms_possible(kind):
        return mode == Mode.OFF
    return True


def _work_grants(user_ref: Any) -> Any:
    """Grants that give the defaults of people who handle appeals (an administrator's counts as every role)."""
    from anju.accounts.models import RoleGrant

    roles = set(WORK_NOTICES.roles) | {Role.ADMIN}
    return RoleGrant.objects.filter(user_id=user_ref, role__in=roles, unit__is_active=True)


def _work_ids(user_ids: list[int]) -> set[int]:
    """Of ``user_ids``, who gets the defaults of people who handle appeals (one query)."""
    from django.contrib.auth import get_user_model

    qs = get_user_model().objects.filter(pk__in=user_ids)
    return set(qs.filter(Q(is_superuser=True) | Exists(_work_grants(OuterRef("pk")))).values_list("pk", flat=True))


def role_dependent(kind: str) -> bool:
    return kind in WORK_DIGEST_KINDS or sms_possible(kind)


def with_choices(users: QuerySet[Any], kind: str) -> QuerySet[Any]:
    """``users`` annotated with their settings for ``kind`` (and, when the defaults differ by role, whether
    they handle appeals), so that sending costs no query of its own; read with :func:`choice_of`."""
    for channel in Channel.values:
        mode = NoticeSetting.objects.filter(user_id=OuterRef("pk"), kind=kind, channel=channel).values("mode")[:1]
        users = users.annotate(**{f"inbox_mode_{channel}": Subquery(mode)})
    if role_dependent(kind):
        users = users.annotate(inbox_mode_work=Exists(_work_grants(OuterRef("pk"))))
    return users


@dataclass(frozen=True)
class Choice:
    app: str
    email: str
    sms: str

    def mode(self, channel: str) -> str:
        return str(getattr(self, channel))


def choice_of(user: Any, kind: str, memo: dict[tuple[Any, ...], Choice] | None = None) -> Choice:
    """The modes of a user from :func:`with_choices`: their setting where allowed, else the default.
    ``memo``: a dict the caller keeps for one send of many (people with the same settings get one answer)."""
    work = bool(getattr(user, "inbox_mode_work", False) or getattr(user, "is_superuser", False))
    channels = Channel.values
    chosen = tuple(getattr(user, f"inbox_mode_{channel}", None) for channel in channels)
    key = (kind, work, *chosen)
    if memo is not None and key in memo:
        return memo[key]
    modes = {}
    for channel, mine in zip(channels, chosen, strict=True):
        mode = mine or default_mode(kind, channel, work=work)
        modes[channel] = mode if allowed(kind, channel, mode) else default_mode(kind, channel, work=work)
    choice = Choice(**modes)
    if memo is not None:
        memo[key] = choice
    return choice


def choices_for(user_ids: Iterable[int], kind: str) -> dict[int, Choice]:
    """Each user's modes for ``kind`` (one query)."""
    from django.contrib.auth import get_user_model

    ids = list(user_ids)
    if not ids:
        return {}
    users = with_choices(get_user_model().objects.filter(pk__in=ids), kind)
    return {u.pk: choice_of(u, kind) for u in users}


def table_for(user: Any) -> list[dict[str, Any]]:
    """The settings page's rows: every registered kind, its title template and the person's mode per channel."""
    uid = user.pk
    chosen = {
        (k, ch): mode
        for k, ch, mode in NoticeSetting.objects.filter(user_id=uid).values_list("kind", "channel", "mode")
    }
    work = uid in _work_ids([uid])
    rows = []
    for kind in sorted(kinds.registered(), key=lambda k: (kinds.group_of(k), k)):
        if kind == kinds.DIGEST or kind.startswith("tests."):
            continue
        modes = {}
        for ch in Channel.values:
            mode = chosen.get((kind, ch)) or default_mode(kind, ch, work=work)
            modes[ch] = mode if allowed(kind, ch, mode) else default_mode(kind, ch, work=work)
        rows.append(
            {
                "kind": kind,
                "group": kinds.group_of(kind),
                "must_read": kinds.is_must_read(kind),
                "sms_possible": sms_possible(kind),
                "modes": modes,
                "defaults": {ch: default_mode(kind, ch, work=work) for ch in Channel.values},
            }
        )
    return rows


# --- quiet hours and the digest clock -------------------------------------------------------------------


def quiet_hours(user_id: int) -> tuple[time, time] | None:
    profile = NoticeProfile.objects.filter(user_id=user_id).first()
    return quiet_of(profile)


def quiet_of(profile: NoticeProfile | None) -> tuple[time, time] | None:
    if profile is None:
        return DEFAULT_QUIET
    if profile.quiet_start is None or profile.quiet_end is None or profile.quiet_start == profile.quiet_end:
        return None
    return profile.quiet_start, profile.quiet_end


def quiet_until(at: datetime, window: tuple[time, time] | None) -> datetime | None:
    """When the quiet window around ``at`` ends (aware), or ``None`` when ``at`` is not in quiet hours."""
    if window is None:
        return None
    start, end = window
    local = timezone.localtime(at)
    now_t = local.time()
    if start < end:
        inside = start <= now_t < end
        end_day = local.date()
    else:  # spans midnight, e.g. 21:00–08:00
        inside = now_t >= start or now_t < end
        end_day = local.date() + timedelta(days=1) if now_t >= start else local.date()
    if not inside:
        return None
    naive = datetime.combine(end_day, end)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def digest_hour() -> int:
    return int(getattr(settings, "ANJU_DIGEST_HOUR", 8))


def next_digest_at(at: datetime) -> datetime:
    """The next daily digest time after ``at`` (local ``ANJU_DIGEST_HOUR`` o'clock)."""
    local = timezone.localtime(at)
    candidate = local.replace(hour=digest_hour(), minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.make_aware(
            datetime.combine(local.date() + timedelta(days=1), time(digest_hour())), timezone.get_current_timezone()
        )
    return candidate
