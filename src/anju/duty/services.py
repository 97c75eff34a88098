"""Shift templates, volunteers and their availability, and the monthly roster (generate, publish).

Seats (sign-up, confirm, cover, standby offers) are in ``duty.seats``; attendance, hours and points in
``duty.ledger``."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.accounts.models import User
from anju.audit.actions import Action
from anju.audit.services import record
from anju.calendar.workdays import Calendar
from anju.duty import notices, planning
from anju.duty.models import (
    Assignment,
    Blackout,
    PointsAccount,
    Roster,
    Shift,
    ShiftTemplate,
    Skill,
    Volunteer,
)
from anju.orgs.models import OrgUnit
from anju.people.models import Resident
from anju.spaces.models import Space, Station

MAX_SEATS = 20


def _tz() -> Any:
    return timezone.get_default_timezone()


def at(day: date, t: time) -> datetime:
    """``day`` at ``t`` in the display zone (Asia/Shanghai), aware."""
    return datetime.combine(day, t, _tz())


#: The years a roster, a week or a ledger month can lie in; dates outside are refused (week and month arithmetic
#: near year 1 or 9999 runs off the calendar).
SANE_YEARS = (1900, 2999)


def month_start(value: date) -> date:
    return value.replace(day=1)


def next_month(value: date) -> date:
    return (value.replace(day=28) + timedelta(days=4)).replace(day=1)


def quarter_start(value: date) -> date:
    return value.replace(month=(value.month - 1) // 3 * 3 + 1, day=1)


# --- templates ------------------------------------------------------------------------------------------------


def _template_check(
    *,
    station: Station,
    name: str,
    starts: time | None,
    ends: time | None,
    seats: int,
    days: str,
    skill: str,
    space: Space | None,
    hours: dict[str, int],
) -> tuple[time, time]:
    """Refuse a template's fields that cannot stand (a ValidationError naming each field); the hours."""
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the shift a name, e.g. 共享客厅 morning.")]
    if starts is None or ends is None:
        errors["ends"] = [_("Enter when the shift starts and ends.")]
    elif ends <= starts:
        errors["ends"] = [_("The shift must end after it starts.")]
    if not 1 <= int(seats) <= MAX_SEATS:
        errors["seats"] = [_("A shift needs between 1 and %(n)d volunteers.") % {"n": MAX_SEATS}]
    if days not in ShiftTemplate.Days.values:
        errors["days"] = [_("Choose on which days the shift runs.")]
    if skill not in Skill.values:
        errors["skill"] = [_("Choose a skill from the list.")]
    if space is not None and space.station_id != station.pk:
        errors["space"] = [_("Choose a place of this station.")]
    for key, value in hours.items():
        if not 0 <= int(value) <= 24 * 14:
            errors[key] = [_("Enter a number of hours between 0 and 336.")]
    if errors or starts is None or ends is None:
        raise ValidationError(errors)
    return starts, ends


def template_create(
    *,
    actor: Any,
    station: Station,
    name: str,
    starts: time | None,
    ends: time | None,
    seats: int = 1,
    days: str = ShiftTemplate.Days.EVERY_DAY,
    skip_holidays: bool = False,
    space: Space | None = None,
    skill: str = "",
    confirm_hours: int = 48,
    change_hours: int = 24,
    offer_hours: int = 4,
    request: HttpRequest | None = None,
) -> ShiftTemplate:
    """A recurring shift of a station: a name, its hours, how many volunteers and an optional skill."""
    name = (name or "").strip()[:60]
    starts, ends = _template_check(
        station=station,
        name=name,
        starts=starts,
        ends=ends,
        seats=seats,
        days=days,
        skill=skill,
        space=space,
        hours={"confirm_hours": confirm_hours, "change_hours": change_hours, "offer_hours": offer_hours},
    )
    with transaction.atomic():
        template = ShiftTemplate.objects.create(
            community_id=station.community_id,
            station=station,
            space=space,
            name=name,
            days=days,
            skip_holidays=skip_holidays,
            starts=starts,
            ends=ends,
            seats=int(seats),
            skill=skill,
            confirm_hours=int(confirm_hours),
            change_hours=int(change_hours),
            offer_hours=int(offer_hours),
        )
        record(
            Action.DUTY_TEMPLATE_CREATED,
            actor=actor,
            obj=template,
            request=request,
            data={"name": name, "starts": str(starts), "ends": str(ends), "seats": int(seats), "days": days},
        )
    return template


def template_update(
    *,
    actor: Any,
    template: ShiftTemplate,
    name: str,
    starts: time | None,
    ends: time | None,
    seats: int,
    days: str,
    skip_holidays: bool = False,
    skill: str = "",
    request: HttpRequest | None = None,
) -> ShiftTemplate:
    """Change a template: the months generated from now on follow it; shifts already on a roster keep theirs."""
    name = (name or "").strip()[:60]
    starts, ends = _template_check(
        station=template.station,
        name=name,
        starts=starts,
        ends=ends,
        seats=seats,
        days=days,
        skill=skill,
        space=template.space,
        hours={},
    )
    fields = {
        "name": name,
        "starts": starts,
        "ends": ends,
        "seats": int(seats),
        "days": days,
        "skip_holidays": skip_holidays,
        "skill": skill,
    }
    with transaction.atomic():
        before = ShiftTemplate.objects.select_for_update().get(pk=template.pk)
        if not before.is_active:
            raise ValidationError({"__all__": [_("This template is retired.")]})
        changed = {k: [str(getattr(before, k)), str(v)] for k, v in fields.items() if getattr(before, k) != v}
        ShiftTemplate.objects.filter(pk=template.pk).update(**fields)
        record(Action.DUTY_TEMPLATE_CHANGED, actor=actor, obj=before, request=request, data={"changed": changed})
    template.refresh_from_db()
    return template


def template_retire(*, actor: Any, template: ShiftTemplate, request: HttpRequest | None = None) -> ShiftTemplate:
    """Retire a template: no new month has its shifts; the shifts already on a roster stay."""
    with transaction.atomic():
        if not ShiftTemplate.objects.filter(pk=template.pk, is_active=True).update(is_active=False):
            raise ValidationError({"__all__": [_("This template is retired.")]})
        record(Action.DUTY_TEMPLATE_RETIRED, actor=actor, obj=template, request=request)
    template.refresh_from_db()
    return template


def template_runs_on(template: ShiftTemplate, day: date, calendar: Calendar) -> bool:
    """Whether a template has a shift on ``day``, by the working-day calendar (holidays, make-up days)."""
    if template.skip_holidays and calendar.holiday(day) is not None:
        return False
    if template.days == ShiftTemplate.Days.WORKDAYS:
        return calendar.is_workday(day)
    if template.days == ShiftTemplate.Days.REST_DAYS:
        return not calendar.is_workday(day)
    return True


# --- volunteers -----------------------------------------------------------------------------------------------


def new_code() -> str:
    return secrets.token_hex(6).upper()


def _weekdays(values: Any) -> list[int]:
    try:
        days = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise ValidationError({"weekdays": [_("Choose weekdays from Monday to Sunday.")]}) from None
    if any(d < 0 or d > 6 for d in days):
        raise ValidationError({"weekdays": [_("Choose weekdays from Monday to Sunday.")]})
    return days


def volunteer_enrol(
    *,
    actor: Any,
    community: Any,
    user: Any,
    kind: str = Volunteer.Kind.PARTY_MEMBER,
    resident: Resident | None = None,
    weekdays: Any = range(7),
    earliest: time | None = None,
    latest: time | None = None,
    monthly_max: int = 4,
    skills: Any = (),
    standby: bool = True,
    request: HttpRequest | None = None,
) -> Volunteer:
    """Enrol an account as a volunteer of a community (party member, central household or resident)."""
    errors: dict[str, list[str]] = {}
    if kind not in Volunteer.Kind.values:
        errors["kind"] = [_("Choose the kind of volunteer.")]
    if resident is not None and resident.community_id != community.pk:
        errors["resident"] = [_("The resident does not live in this community.")]
    if Volunteer.objects.filter(community=community, user=user).exists():
        errors["user"] = [_("This account is already a volunteer here.")]
    skills = [s for s in skills if s]
    if any(s not in Skill.values for s in skills):
        errors["skills"] = [_("Choose a skill from the list.")]
    if not 0 <= int(monthly_max) <= 31:
        errors["monthly_max"] = [_("Enter at most 31 shifts a month.")]
    if earliest is not None and latest is not None and latest <= earliest:
        errors["latest"] = [_("The latest time must come after the earliest.")]
    try:
        days = _weekdays(weekdays)
    except ValidationError as exc:
        errors |= exc.message_dict
        days = []
    if errors:
        raise ValidationError(errors)
    if resident is None:  # the account's own registry entry, when it has one: points per household
        resident = Resident.objects.filter(account=user, community_id=community.pk).first()
    name = (resident.name if resident is not None else (user.display_name or user.username))[:50]
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            community_id=community.pk,
            user=user,
            resident=resident,
            household_id=resident.household_id if resident is not None else None,
            name=name,
            kind=kind,
            skills=skills,
            weekdays=days,
            earliest=earliest,
            latest=latest,
            monthly_max=int(monthly_max),
            standby=standby,
            code=new_code(),
        )
        PointsAccount.objects.create(community_id=community.pk, volunteer=volunteer)
        record(Action.DUTY_VOLUNTEER_ENROLLED, actor=actor, obj=volunteer, request=request, data={"kind": kind})
    return volunteer


def enrol_candidates(community: Any) -> Any:
    """Accounts with a role within the community that are not its volunteers yet."""
    taken = Volunteer.objects.filter(community=community).values("user_id")
    return (
        User.objects.filter(OrgUnit.subtree_q(community, "grants__unit__"), is_active=True)
        .exclude(pk__in=taken)
        .distinct()
        .order_by("display_name", "pk")
    )


def availability_set(
    *,
    actor: Any,
    volunteer: Volunteer,
    weekdays: Any,
    earliest: time | None,
    latest: time | None,
    monthly_max: int,
    away: Any = (),
    standby: bool = True,
    leaderboard: bool = False,
    request: HttpRequest | None = None,
) -> Volunteer:
    """A volunteer's offer: weekdays, hours, dates away, the monthly maximum, standby and leaderboard."""
    errors: dict[str, list[str]] = {}
    try:
        days = _weekdays(weekdays)
    except ValidationError as exc:
        errors |= exc.message_dict
        days = []
    if earliest is not None and latest is not None and latest <= earliest:
        errors["latest"] = [_("The latest time must come after the earliest.")]
    if not 0 <= int(monthly_max) <= 31:
        errors["monthly_max"] = [_("Enter at most 31 shifts a month.")]
    away_days = sorted(set(away))
    if len(away_days) > 120:
        errors["away"] = [_("Enter at most 120 dates away.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Volunteer.objects.filter(pk=volunteer.pk).update(
            weekdays=days,
            earliest=earliest,
            latest=latest,
            monthly_max=int(monthly_max),
            standby=standby,
            leaderboard=leaderboard,
        )
        Blackout.objects.filter(volunteer=volunteer).exclude(day__in=away_days).delete()
        have = set(Blackout.objects.filter(volunteer=volunteer).values_list("day", flat=True))
        Blackout.objects.bulk_create(
            [
                Blackout(community_id=volunteer.community_id, volunteer=volunteer, day=d)
                for d in away_days
                if d not in have
            ]
        )
        record(
            Action.DUTY_AVAILABILITY_SET,
            actor=actor,
            obj=volunteer,
            request=request,
            data={"weekdays": days, "monthly_max": int(monthly_max), "away": [d.isoformat() for d in away_days]},
        )
    volunteer.refresh_from_db()
    return volunteer


# --- the roster -----------------------------------------------------------------------------------------------


def _people(community_id: int, month: date, roster: Roster | None) -> list[planning.Person]:
    """The community's active volunteers with their quarter's and month's load so far (other rosters)."""
    q0, m0, m1 = quarter_start(month), month, next_month(month)
    volunteers = list(Volunteer.objects.filter(community_id=community_id, is_active=True).order_by("pk"))
    away: dict[int, set[date]] = defaultdict(set)
    for vid, day in Blackout.objects.filter(volunteer__in=volunteers, day__gte=m0, day__lt=m1).values_list(
        "volunteer_id", "day"
    ):
        away[vid].add(day)
    held = Assignment.objects.filter(
        volunteer__in=volunteers, status__in=Assignment.HOLDING, shift__day__gte=q0, shift__day__lt=m1
    )
    if roster is not None:
        held = held.exclude(shift__roster=roster)
    load: dict[int, int] = defaultdict(int)
    month_load: dict[int, int] = defaultdict(int)
    busy: dict[int, set[date]] = defaultdict(set)
    per_template: dict[int, dict[int, int]] = defaultdict(dict)
    for vid, day, tid in held.values_list("volunteer_id", "shift__day", "shift__template_id"):
        load[vid] += 1
        per_template[vid][tid] = per_template[vid].get(tid, 0) + 1
        if day >= m0:
            month_load[vid] += 1
            busy[vid].add(day)
    return [
        planning.Person(
            id=v.pk,
            weekdays=frozenset(v.weekdays),
            earliest=v.earliest,
            latest=v.latest,
            monthly_max=v.monthly_max,
            skills=frozenset(v.skills),
            away=frozenset(away[v.pk]),
            load=load[v.pk],
            month_load=month_load[v.pk],
            busy_days=busy[v.pk],
            template_load=per_template[v.pk],
        )
        for v in volunteers
    ]


def roster_generate(
    *, actor: Any, station: Station, month: date, seed: int | None = None, request: HttpRequest | None = None
) -> Roster:
    """Build (or rebuild, while a draft) a station's roster for a month: a shift for every active template on
    every day it runs by the working-day calendar, every seat filled fairly where someone may take it."""
    month = month_start(month)
    if month < month_start(timezone.localdate()):
        raise ValidationError({"month": [_("Choose this month or a later one.")]})
    if month.year > SANE_YEARS[1]:
        raise ValidationError({"month": [_("Choose a month within the next years.")]})
    templates = list(ShiftTemplate.objects.filter(station=station, is_active=True).order_by("starts", "pk"))
    if not templates:
        raise ValidationError({"month": [_("Add a shift template for this station first.")]})
    calendar = Calendar.load()
    now = timezone.now()
    with transaction.atomic():
        roster, _created = Roster.objects.select_for_update().get_or_create(
            station=station, month=month, defaults={"community_id": station.community_id}
        )
        if roster.status == Roster.Status.PUBLISHED:
            raise ValidationError({"month": [_("This month is published; change single seats instead.")]})
        Shift.objects.filter(roster=roster).delete()  # a draft's seats were never shown to anyone
        shifts: list[Shift] = []
        day = month
        while day < next_month(month):
            for t in templates:
                if template_runs_on(t, day, calendar):
                    starts = at(day, t.starts)
                    shifts.append(
                        Shift(
                            community_id=station.community_id,
                            roster=roster,
                            template=t,
                            day=day,
                            starts_at=starts,
                            ends_at=at(day, t.ends),
                            seats=t.seats,
                            confirm_by=starts - timedelta(hours=t.confirm_hours),
                        )
                    )
            day += timedelta(days=1)
        Shift.objects.bulk_create(shifts)
        shifts = list(Shift.objects.filter(roster=roster).select_related("template").order_by("starts_at", "pk"))
        seats = [
            planning.Seat(
                key=(s.pk, n),
                day=s.day,
                starts=s.template.starts,
                ends=s.template.ends,
                template=s.template_id,
                skill=s.template.skill,
            )
            for s in shifts
            for n in range(1, s.seats + 1)
        ]
        chosen = planning.plan(
            seats, _people(station.community_id, month, roster), seed=seed if seed is not None else month.toordinal()
        )
        Assignment.objects.bulk_create(
            [
                Assignment(
                    community_id=station.community_id,
                    shift_id=shift_id,
                    seat=seat,
                    volunteer_id=vid,
                    status=Assignment.Status.ASSIGNED,
                    source=Assignment.Source.GENERATED,
                )
                for (shift_id, seat), vid in sorted(chosen.items())
            ],
            batch_size=500,
        )
        roster.holes = len(seats) - len(chosen)
        roster.generated_at = now
        roster.save(update_fields=["holes", "generated_at"])
        record(
            Action.DUTY_ROSTER_GENERATED,
            actor=actor,
            obj=roster,
            request=request,
            data={"month": month.isoformat(), "shifts": len(shifts), "seats": len(seats), "holes": roster.holes},
        )
    return roster


def roster_publish(*, actor: Any, roster: Roster, request: HttpRequest | None = None) -> Roster:
    """Publish a draft month: its volunteers see their shifts and are asked to confirm them."""
    with transaction.atomic():
        changed = Roster.objects.filter(pk=roster.pk, status=Roster.Status.DRAFT).update(
            status=Roster.Status.PUBLISHED, published_at=timezone.now()
        )
        if not changed:
            raise ValidationError({"__all__": [_("This roster is already published.")]})
        roster.refresh_from_db()
        holes = roster_holes(roster)
        Roster.objects.filter(pk=roster.pk).update(holes=holes)
        users = (
            Assignment.objects.filter(shift__roster=roster, status__in=Assignment.HOLDING)
            .values_list("volunteer__user_id", flat=True)
            .distinct()
        )
        notices.send(
            kind=notices.PUBLISHED,
            recipients=list(users),
            community=roster.community_id,
            params={"month": f"{roster.month:%Y-%m}", "roster": roster.pk},
            url_name="duty:mine",
        )
        record(Action.DUTY_ROSTER_PUBLISHED, actor=actor, obj=roster, request=request, data={"holes": holes})
    roster.refresh_from_db()
    return roster


def roster_holes(roster: Roster) -> int:
    """Seats of the roster's shifts that no one holds."""
    shifts = Shift.objects.filter(roster=roster).annotate(
        held=Count("assignments", filter=Q(assignments__status__in=Assignment.HOLDING))
    )
    return sum(max(s.seats - s.held, 0) for s in shifts)
