"""Pages of duty: the roster's week grid, my shifts, cover requests, the door's duty code, the ledger, the
store, and the coordinators' page. Parse → fetch and authorise → service → render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core.masking import mask_name
from anju.core.params import parse_id, parse_int
from anju.core.security import no_store
from anju.duty import ledger, points, reports, seats, selectors, services
from anju.duty import swaps as swaps_service
from anju.duty.models import (
    Assignment,
    DoorCode,
    HoursEntry,
    Redemption,
    Roster,
    Shift,
    ShiftTemplate,
    Skill,
    StoreItem,
    SwapRequest,
    Volunteer,
)
from anju.spaces.models import Station


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _attempt(request: HttpRequest, work: Callable[[], object], done: str = "", *, not_a_number: str = "") -> bool:
    """Run one service call for a page: its refusal (a ValidationError, or a ValueError from a number that is
    not one) becomes error messages, success the ``done`` message. True when it went through."""
    try:
        work()
    except ValueError:
        messages.error(request, not_a_number or _("Enter whole numbers."))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if done:
            messages.success(request, done)
        return True
    return False


def _back(request: HttpRequest, default: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect(default)


def _number(request: HttpRequest, name: str, default: int) -> int:
    """The whole number posted as ``name`` (``default`` when left empty); ValueError when it is not one."""
    raw = request.POST.get(name) or ""
    if not raw.strip():
        return default
    value = parse_int(raw.strip())
    if value is None:
        raise ValueError(name)
    return value


def _station(request: HttpRequest, action: str = "duty.view") -> Station | None:
    qs = selectors.stations(request.user, action)
    wanted = request.GET.get("station") or request.POST.get("station")
    wanted_id = parse_id(wanted)
    if wanted_id is not None:
        found = qs.filter(pk=wanted_id).first()
        if found is not None:
            return found
    mine = selectors.my_volunteers(request.user).values("community_id")
    return qs.filter(community_id__in=mine).first() or qs.first()


def _date(value: str | None) -> date | None:
    """A date typed as 2027-01-05, or None when it is not one (2024-02-30 included) or lies outside the years a
    roster can mean (week and month arithmetic would run off the calendar)."""
    try:
        parsed = parse_date((value or "").strip())
    except ValueError:
        return None
    return parsed if parsed is not None and services.SANE_YEARS[0] <= parsed.year <= services.SANE_YEARS[1] else None


def _day(value: str | None, default: date) -> date:
    return _date(value) or default


@policy.permission("duty.view")
def roster(request: HttpRequest) -> HttpResponse:
    station = _station(request)
    today = timezone.localdate()
    try:
        start = selectors.week_start(_day(request.GET.get("week"), today))
    except ValueError:
        start = selectors.week_start(today)
    days = selectors.week(request.user, station, start) if station else []
    return render(
        request,
        "duty/roster.html",
        {
            "station": station,
            "stations": list(selectors.stations(request.user)),
            "days": days,
            "start": start,
            "previous": start - timedelta(days=7),
            "following": start + timedelta(days=7),
            "today": today,
            "volunteer": seats.volunteer_of(request.user, station.community_id) if station else None,
            "manage": station is not None and policy.can(request.user, "duty.manage", station),
        },
    )


@policy.permission("duty.take")
@require_POST
def shift_claim(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift: Shift = policy.get_for(request.user, "duty.take", selectors.shifts(request.user), pk=shift_id)
    _attempt(
        request,
        lambda: seats.shift_claim(actor=request.user, shift=shift, request=request),
        _("You are on duty: %(shift)s on %(day)s.") % {"shift": shift.template.name, "day": shift.day},
    )
    return _back(request, "duty:mine")


@policy.permission("duty.view")
def mine(request: HttpRequest) -> HttpResponse:
    volunteers = list(selectors.my_volunteers(request.user))
    cards = []
    for v in volunteers:
        code = segno.make(v.code, error="m").svg_inline(scale=4, title=_("Volunteer code"))
        cards.append(
            {
                "volunteer": v,
                "balance": selectors.balance(v),
                "household": selectors.household_points(v),
                "hours": selectors.hours_total(selectors.ledger(request.user, volunteer=v)),
                "qr": mark_safe(code),  # noqa: S308  segno's own SVG of our code
            }
        )
    upcoming = list(selectors.my_assignments(request.user).prefetch_related("swap_requests"))
    for a in upcoming:
        a.open_swap = next((s for s in a.swap_requests.all() if s.status == SwapRequest.Status.OPEN), None)  # type: ignore[attr-defined]
    return render(
        request,
        "duty/mine.html",
        {
            "volunteers": cards,
            "upcoming": upcoming,
            "history": list(selectors.my_history(request.user)[:10]),
            "swaps": list(
                selectors.open_swaps(request.user).exclude(assignment__volunteer__user_id=int(request.user.pk or 0))[:5]
            ),
        },
    )


WEEKDAYS = [(0, _("Mon")), (1, _("Tue")), (2, _("Wed")), (3, _("Thu")), (4, _("Fri")), (5, _("Sat")), (6, _("Sun"))]


def _dates(value: str) -> list[date]:
    """Dates away typed as 2027-01-05, one per line or separated by commas or spaces."""
    out = []
    for part in value.replace(",", " ").replace("，", " ").split():
        day = _date(part)
        if day is None:
            raise ValidationError({"away": [_("Enter dates like 2027-01-05, separated by spaces.")]})
        out.append(day)
    return out


@policy.permission("duty.take")
def availability(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """A volunteer's offer: weekdays, hours, dates away, monthly maximum, standby pool, leaderboard."""
    volunteer: Volunteer = policy.get_for(request.user, "duty.own", Volunteer.objects.all(), pk=volunteer_id)
    if request.method == "POST" and _attempt(
        request,
        lambda: services.availability_set(
            actor=request.user,
            volunteer=volunteer,
            weekdays=request.POST.getlist("weekdays"),
            earliest=_time(request.POST.get("earliest")),
            latest=_time(request.POST.get("latest")),
            monthly_max=_number(request, "monthly_max", 0),
            away=_dates(request.POST.get("away", "")),
            standby=bool(request.POST.get("standby")),
            leaderboard=bool(request.POST.get("leaderboard")),
            request=request,
        ),
        _("Saved."),
    ):
        return redirect("duty:mine")
    away = " ".join(f"{b.day:%Y-%m-%d}" for b in volunteer.blackouts.filter(day__gte=timezone.localdate()))
    return render(
        request,
        "duty/availability.html",
        {"volunteer": volunteer, "weekdays": WEEKDAYS, "away": away},
    )


_STEPS = {
    "confirm": seats.assignment_confirm,
    "accept": seats.offer_accept,
    "decline": seats.offer_decline,
}


@policy.permission("duty.take")
@require_POST
def assignment_step(request: HttpRequest, assignment_id: int, step: str) -> HttpResponse:
    a: Assignment = policy.get_for(
        request.user, "duty.own", Assignment.objects.select_related("volunteer", "shift"), pk=assignment_id
    )
    if step not in _STEPS and step not in ("drop", "cover", "swap", "checkin", "checkout"):
        raise Http404

    def work() -> object:
        if step in _STEPS:
            return _STEPS[step](actor=request.user, assignment=a, request=request)
        if step == "drop":
            return seats.assignment_drop(
                actor=request.user, assignment=a, reason=request.POST.get("reason", ""), request=request
            )
        if step == "cover":
            return seats.cover_ask(actor=request.user, assignment=a, note=request.POST.get("note", ""), request=request)
        if step == "swap":
            return swaps_service.swap_offer(
                actor=request.user, assignment=a, note=request.POST.get("note", ""), request=request
            )
        if step == "checkin":
            return ledger.check_in(actor=request.user, assignment=a, request=request)
        return ledger.check_out(actor=request.user, assignment=a, request=request)

    _attempt(request, work, _("Done."))
    return _back(request, "duty:mine")


@policy.permission("duty.view")
def swaps(request: HttpRequest) -> HttpResponse:
    open_swaps = list(selectors.open_swaps(request.user)[:50])
    mine = swaps_service.my_swappable(request.user)
    for s in open_swaps:
        s.givable = swaps_service.givable(s, mine) if s.kind == SwapRequest.Kind.SWAP else []  # type: ignore[attr-defined]
    return render(request, "duty/swaps.html", {"swaps": open_swaps})


@policy.permission("duty.take")
@require_POST
def swap_take(request: HttpRequest, swap_id: int) -> HttpResponse:
    swap: SwapRequest = policy.get_for(request.user, "duty.take", selectors.swaps_reachable(request.user), pk=swap_id)
    if swap.kind == SwapRequest.Kind.SWAP:
        give = policy.get_for(
            request.user,
            "duty.own",
            Assignment.objects.select_related("volunteer", "shift"),
            pk=parse_id(request.POST.get("give")) or 0,
        )
        _attempt(
            request,
            lambda: swaps_service.swap_accept(actor=request.user, swap=swap, give=give, request=request),
            _("The shifts are swapped."),
        )
    else:
        _attempt(
            request,
            lambda: seats.cover_take(actor=request.user, swap=swap, request=request),
            _("You cover this shift now."),
        )
    return _back(request, "duty:mine")


@policy.permission("duty.take")
def swap_with(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Offer one's seat in exchange for one named seat of another volunteer: only its holder hears of it and
    accepts or declines."""
    a: Assignment = policy.get_for(
        request.user,
        "duty.own",
        Assignment.objects.select_related("volunteer", "shift", "shift__template"),
        pk=assignment_id,
    )
    if request.method == "POST":
        want_id = parse_id(request.POST.get("want"))
        if want_id is None:
            messages.error(request, _("Choose the shift you would like in exchange."))
        else:
            want: Assignment = policy.get_for(
                request.user, "duty.take", selectors.seats_reachable(request.user), pk=want_id
            )
            if _attempt(
                request,
                lambda: swaps_service.swap_offer(
                    actor=request.user, assignment=a, want=want, note=request.POST.get("note", ""), request=request
                ),
                _("Your swap offer was sent to %(name)s.") % {"name": mask_name(want.volunteer.name)},
            ):
                return redirect("duty:mine")
    partners = swaps_service.swap_partners(a)
    for p in partners:
        p.shown_name = mask_name(p.volunteer.name)  # type: ignore[attr-defined]
    return render(request, "duty/swap_with.html", {"assignment": a, "partners": partners})


@policy.permission("duty.take")
@require_POST
def swap_decline(request: HttpRequest, swap_id: int) -> HttpResponse:
    swap: SwapRequest = policy.get_for(request.user, "duty.take", selectors.swaps_reachable(request.user), pk=swap_id)
    _attempt(
        request,
        lambda: swaps_service.swap_decline(actor=request.user, swap=swap, request=request),
        _("You declined the swap."),
    )
    return _back(request, "duty:swaps")


@policy.permission("duty.take")
@require_POST
def swap_withdraw(request: HttpRequest, swap_id: int) -> HttpResponse:
    swap: SwapRequest = policy.get_for(
        request.user, "duty.own", SwapRequest.objects.select_related("assignment__volunteer"), pk=swap_id
    )
    _attempt(request, lambda: seats.cover_withdraw(actor=request.user, swap=swap, request=request))
    return _back(request, "duty:mine")


@policy.permission("duty.take")
def door(request: HttpRequest, token: str) -> HttpResponse:
    """The page the station's duty QR code opens: one button checks the volunteer in (or out)."""
    code = policy.get_for(request.user, "duty.take", DoorCode.objects.all(), token=token)
    result: list[Assignment] = []
    status = 200
    if request.method == "POST" and not _attempt(
        request, lambda: result.append(ledger.door_scan(actor=request.user, token=code.token, request=request))
    ):
        status = 422
    return render(request, "duty/door.html", {"result": result[0] if result else None, "token": token}, status=status)


@policy.permission("duty.view")
def ledger_page(request: HttpRequest) -> HttpResponse:
    manage = policy.can(request.user, "duty.manage")
    volunteer = None
    wanted = parse_id(request.GET.get("volunteer"))
    if wanted is not None:
        volunteer = policy.get_for(request.user, "duty.own", Volunteer.objects.all(), pk=wanted)
    entries = selectors.ledger(request.user, volunteer=volunteer)
    month = _day(request.GET.get("month"), timezone.localdate().replace(day=1)).replace(day=1)
    if request.GET.get("format") == "xlsx" and manage:
        station = _station(request, "duty.manage")
        community = volunteer.community if volunteer is not None else (station.community if station else None)
        if community is None:
            raise Http404
        data = reports.month_xlsx(
            actor=request.user, community=community, entries=entries, month=month, request=request
        )
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="duty-hours-{month:%Y-%m}.xlsx"'
        return no_store(response)
    return render(
        request,
        "duty/ledger.html",
        {
            "entries": list(entries.order_by("-day", "-pk")[:200]),
            "total": selectors.hours_total(entries),
            "volunteer": volunteer,
            "manage": manage,
            "month": month,
            "volunteers": list(selectors.volunteers(request.user)[:300]) if manage else [],
        },
    )


@policy.permission("duty.manage")
@require_POST
def entry_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry: HoursEntry = policy.get_for(
        request.user, "duty.manage", HoursEntry.objects.select_related("volunteer"), pk=entry_id
    )
    _attempt(
        request,
        lambda: ledger.hours_reverse(
            actor=request.user, entry=entry, reason=request.POST.get("reason", ""), request=request
        ),
        _("The entry is reversed."),
    )
    return _back(request, "duty:ledger")


@policy.permission("duty.own")
def certificate(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer: Volunteer = policy.get_for(request.user, "duty.own", Volunteer.objects.all(), pk=volunteer_id)
    today = timezone.localdate()
    start = _day(request.GET.get("from"), today.replace(month=1, day=1))
    end = _day(request.GET.get("to"), today)
    return reports.certificate_response(request, volunteer=volunteer, start=start, end=end)


@policy.permission("duty.view")
def store(request: HttpRequest) -> HttpResponse:
    station = _station(request)
    community_id = station.community_id if station else None
    manage = station is not None and policy.can(request.user, "duty.manage", station)
    if request.method == "POST" and manage and station is not None:
        item = StoreItem.objects.filter(pk=parse_id(request.POST.get("item")) or 0, community_id=community_id).first()
        done: list[Redemption] = []
        if item is None:
            messages.error(request, _("Choose an item of this store."))
        elif _attempt(
            request,
            lambda: done.append(
                ledger.redeem(actor=request.user, code=request.POST.get("code", ""), item=item, request=request)
            ),
        ):
            messages.success(
                request, _("%(item)s redeemed for %(name)s.") % {"item": item.name, "name": done[0].volunteer.name}
            )
        return redirect(f"{request.path}?station={station.pk}")
    return render(
        request,
        "duty/store.html",
        {
            "station": station,
            "items": list(selectors.store_items(community_id)) if community_id else [],
            "leaderboard": selectors.leaderboard(community_id) if community_id else [],
            "manage": manage,
        },
    )


# --- coordinators ---------------------------------------------------------------------------------------------


def _time(value: str | None) -> time | None:
    return parse_time(value or "") if value else None


@policy.permission("duty.manage")
def manage(request: HttpRequest) -> HttpResponse:
    station = _station(request, "duty.manage")
    if station is None:
        raise Http404
    if request.method == "POST":
        what = request.POST.get("what")

        def work() -> object:
            if what == "door":
                return ledger.door_code_issue(actor=request.user, station=station, request=request)
            if what in ("template_edit", "template_retire"):
                template = policy.get_for(
                    request.user,
                    "duty.manage",
                    ShiftTemplate.objects.filter(station=station),
                    pk=parse_id(request.POST.get("template")) or 0,
                )
                if what == "template_retire":
                    return services.template_retire(actor=request.user, template=template, request=request)
                return services.template_update(
                    actor=request.user,
                    template=template,
                    name=request.POST.get("name", ""),
                    starts=_time(request.POST.get("starts")),
                    ends=_time(request.POST.get("ends")),
                    seats=_number(request, "seats", 1),
                    days=request.POST.get("days", ShiftTemplate.Days.EVERY_DAY),
                    skip_holidays=bool(request.POST.get("skip_holidays")),
                    skill=request.POST.get("skill", ""),
                    request=request,
                )
            if what == "template":
                return services.template_create(
                    actor=request.user,
                    station=station,
                    name=request.POST.get("name", ""),
                    starts=_time(request.POST.get("starts")),
                    ends=_time(request.POST.get("ends")),
                    seats=_number(request, "seats", 1),
                    days=request.POST.get("days", ShiftTemplate.Days.EVERY_DAY),
                    skip_holidays=bool(request.POST.get("skip_holidays")),
                    skill=request.POST.get("skill", ""),
                    request=request,
                )
            if what == "generate":
                month = _date((request.POST.get("month") or "") + "-01")
                if month is None:
                    raise ValidationError({"month": [_("Choose a month.")]})
                return services.roster_generate(actor=request.user, station=station, month=month, request=request)
            if what == "publish":
                r = policy.get_for(
                    request.user, "duty.manage", Roster.objects.all(), pk=request.POST.get("roster") or 0
                )
                return services.roster_publish(actor=request.user, roster=r, request=request)
            if what == "enrol":
                user = services.enrol_candidates(station.community).filter(pk=request.POST.get("user") or 0).first()
                if user is None:
                    raise ValidationError({"user": [_("Choose an account of this community.")]})
                return services.volunteer_enrol(
                    actor=request.user,
                    community=station.community,
                    user=user,
                    kind=request.POST.get("kind", Volunteer.Kind.PARTY_MEMBER),
                    monthly_max=_number(request, "monthly_max", 4),
                    request=request,
                )
            if what == "rule":
                return ledger.points_rule_set(
                    actor=request.user,
                    community=station.community,
                    basis=request.POST.get("basis", ""),
                    points=_number(request, "points", 0),
                    request=request,
                )
            if what == "points_settings":
                return points.points_settings_set(
                    actor=request.user,
                    community=station.community,
                    expire_yearly=bool(request.POST.get("expire_yearly")),
                    request=request,
                )
            if what == "item":
                return ledger.item_add(
                    actor=request.user,
                    community=station.community,
                    name=request.POST.get("name", ""),
                    cost=_number(request, "cost", 0),
                    stock=_number(request, "stock", 0),
                    request=request,
                )
            raise ValidationError({"__all__": [_("Choose what to do.")]})

        _attempt(request, work, _("Saved."))
        suffix = "&door=1" if what == "door" else ""
        return redirect(f"{request.path}?station={station.pk}{suffix}")
    code = ledger.door_code(station) if request.GET.get("door") else None  # shown, never created, on a GET
    qr = None
    if code is not None:
        url = request.build_absolute_uri(f"/duty/door/{code.token}/")
        qr = mark_safe(segno.make(url, error="m").svg_inline(scale=6, title=_("Duty check-in code")))  # noqa: S308
    return render(
        request,
        "duty/manage.html",
        {
            "station": station,
            "stations": list(selectors.stations(request.user, "duty.manage")),
            "templates": list(selectors.templates(request.user, station)),
            "rosters": list(Roster.objects.filter(station=station).order_by("-month")[:6]),
            "volunteers": list(Volunteer.objects.filter(community_id=station.community_id).order_by("name")[:300]),
            "candidates": list(services.enrol_candidates(station.community)[:300]),
            "kinds": Volunteer.Kind.choices,
            "days": ShiftTemplate.Days.choices,
            "skills": Skill.choices,
            "next_month": services.next_month(timezone.localdate()),
            "qr": qr,
            "expire_yearly": bool((found := points.points_settings(station.community_id)) and found.expire_yearly),
        },
    )


@policy.permission("duty.manage")
def shift_detail(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift: Shift = policy.get_for(
        request.user, "duty.manage", Shift.objects.select_related("template", "roster"), pk=shift_id
    )
    if request.method == "POST":

        def work() -> object:
            if request.POST.get("what") == "attendance":
                a = policy.get_for(
                    request.user, "duty.manage", shift.assignments.all(), pk=request.POST.get("assignment") or 0
                )
                tz = timezone.get_default_timezone()

                def when(key: str) -> datetime | None:
                    t = _time(request.POST.get(key))
                    return datetime.combine(shift.day, t, tz) if t else None

                return ledger.attendance_mark(
                    actor=request.user,
                    assignment=a,
                    checked_in_at=when("in"),
                    checked_out_at=when("out"),
                    request=request,
                )
            vid = parse_id(request.POST.get("volunteer"))
            volunteer = (
                Volunteer.objects.filter(pk=vid, community_id=shift.community_id).first() if vid is not None else None
            )
            return seats.assignment_reassign(
                actor=request.user, shift=shift, seat=_number(request, "seat", 0), volunteer=volunteer, request=request
            )

        _attempt(request, work, _("Saved."), not_a_number=_("Choose a seat of this shift."))
        return redirect("duty:shift", shift_id=shift.pk)
    held = {a.seat: a for a in shift.assignments.filter(status__in=Assignment.HOLDING).select_related("volunteer")}
    return render(
        request,
        "duty/shift.html",
        {
            "shift": shift,
            "seats": [(n, held.get(n)) for n in range(1, shift.seats + 1)],
            "volunteers": list(
                Volunteer.objects.filter(community_id=shift.community_id, is_active=True).order_by("name")[:300]
            ),
            "history": list(shift.assignments.exclude(status__in=Assignment.HOLDING).select_related("volunteer")[:30]),
        },
    )
