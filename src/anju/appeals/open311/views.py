"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the catalogue is its services,
appeals its requests. POST needs an ``api_key`` (an Anju API token whose user may file appeals).

**Reading publishes only what each community chose** (``appeals.models.Publication``, set by its staff;
see ``appeals.privacy``): a community that never chose is not listed at all (its requests answer 404);
one that publishes shows category, status and dates, and — only if it chose so — the area (片区 or grid,
by name and id) and a screened summary (the description with numbers masked, 140 characters). Never the
building, address, door number, coordinates, photos, names, numbers or the handling department.

**Scope**: an anonymous caller sees every publishing community; a caller giving an ``api_key`` (GET
parameter or ``X-Api-Key`` header) sees only the publishing communities its user may view appeals in, so
a token scoped to one community never sees another's; ``jurisdiction_id`` narrows to one community."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from anju.access import policy
from anju.accounts.services import token_authenticate
from anju.appeals import privacy
from anju.appeals.intake import services as intake
from anju.appeals.models import CLOSED_STATUSES, OPEN_STATUSES, Appeal, Category, Channel, Publication, Status
from anju.core.params import parse_id, parse_ids
from anju.orgs.models import OrgUnit, UnitKind

MAX_RESULTS = 1000
DEFAULT_DAYS = 90


def _render(
    request: HttpRequest, data: Any, fmt: str, status: int = 200, root: str = "service_requests"
) -> HttpResponse:
    if fmt == "xml":
        item_name = {"services": "service", "service_requests": "request", "errors": "error"}.get(root, "item")
        top = ET.Element(root)
        for entry in data if isinstance(data, list) else [data]:
            node = ET.SubElement(top, item_name)
            for key, value in entry.items():
                child = ET.SubElement(node, key)
                if isinstance(value, list):
                    for v in value:
                        ET.SubElement(child, "value").text = str(v)
                else:
                    child.text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(request: HttpRequest, fmt: str, status: int, description: str) -> HttpResponse:
    return _render(request, [{"code": status, "description": description}], fmt, status, root="errors")


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


@policy.permission(policy.PUBLIC)
def discovery(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})).rsplit("/", 1)[0] + "/"
    data = {
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": "",
        "key_service": request.build_absolute_uri(reverse("accounts:profile")),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-01-01T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        return _render(request, {**data, "endpoints": [base]}, fmt, root="discovery")
    return _render(request, data, fmt)


def _service(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description or c.name,
        "metadata": False,
        "type": "realtime",
        "keywords": c.group,
        "group": c.group,
    }


@policy.permission(policy.PUBLIC)
def services_list(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    data = [_service(c) for c in Category.objects.filter(is_active=True)]
    return _render(request, data, fmt, root="services")


@policy.permission(policy.PUBLIC)
def service_definition(request: HttpRequest, code: str, fmt: str = "json") -> HttpResponse:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return _error(request, fmt, 404, f"service_code {code} not found")
    return _render(request, {"service_code": category.code, "attributes": []}, fmt, root="service_definition")


SUMMARY_LENGTH = 140


def _request_out(a: Appeal, pub: Publication, area: OrgUnit | None) -> dict[str, Any]:
    """One request as the community chose to publish it (see the module docstring)."""
    closed = a.status in CLOSED_STATUSES
    area = area if pub.area else None
    summary = a.description_masked.replace("\n", " ") if pub.summary else ""
    if len(summary) > SUMMARY_LENGTH:
        summary = summary[: SUMMARY_LENGTH - 1] + "…"
    return {
        "service_request_id": str(a.pk),
        "status": "closed" if closed else "open",
        "status_notes": str(Status(a.status).label),
        "service_name": a.category.name,
        "service_code": a.category.code,
        "description": summary,
        "agency_responsible": "",
        "service_notice": "",
        "requested_datetime": _iso(a.received_at),
        "updated_datetime": _iso(a.closed_at or a.handled_at or a.signed_at or a.dispatched_at or a.received_at),
        "expected_datetime": _iso(a.feedback_due),
        "address": area.name if area is not None else "",
        "address_id": str(area.pk) if area is not None else "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


def _parse_date(raw: str) -> dt.datetime | None:
    value = parse_datetime(raw.strip().replace(" ", "+")) if raw else None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


_QS = Appeal.objects.select_related("category", "location")


def _published(request: HttpRequest) -> tuple[Any, dict[int, Publication]] | None:
    """The appeals this caller may read here and the publication choice of each community; ``None`` for
    a bad ``api_key``."""
    pubs = {p.community_id: p for p in Publication.objects.exclude(level=Publication.Level.OFF)}
    qs = _QS.filter(community_id__in=list(pubs))
    key = request.GET.get("api_key", "") or request.headers.get("X-Api-Key", "")
    if key:
        user = token_authenticate(key)
        if user is None:
            return None
        qs = qs.filter(community__in=policy.visible(OrgUnit.objects.communities(), user, "appeal.view", "path"))
    jurisdiction = request.GET.get("jurisdiction_id", "")
    if jurisdiction:
        qs = qs.filter(community_id=parse_id(jurisdiction) or 0)
    return qs, pubs


@csrf_exempt
@policy.permission(policy.PUBLIC)
def requests_view(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    if fmt not in ("json", "xml"):
        return _error(request, "json", 404, "format must be json or xml")
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return _error(request, fmt, 405, "method not allowed")
    found = _published(request)
    if found is None:
        return _error(request, fmt, 403, "api_key is not valid")
    qs, pubs = found
    params = request.GET
    if params.get("service_request_id"):
        raw_ids = [i.strip() for i in params["service_request_id"].split(",") if i.strip()]
        ids = parse_ids(raw_ids)
        if len(ids) != len(raw_ids):
            return _error(request, fmt, 400, "service_request_id must be numbers separated by commas")
        qs = qs.filter(pk__in=ids)
    else:
        start = end = None
        for name in ("start_date", "end_date"):
            if params.get(name):
                parsed = _parse_date(params[name])
                if parsed is None:
                    return _error(request, fmt, 400, f"{name} must be a w3c datetime, e.g. 2026-01-01T00:00:00Z")
                if name == "start_date":
                    start = parsed
                else:
                    end = parsed
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        elif start is None and end is not None:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None and end is not None and end - start > dt.timedelta(days=DEFAULT_DAYS):
            return _error(request, fmt, 400, f"the date range may span at most {DEFAULT_DAYS} days")
        qs = qs.filter(received_at__gte=start)
        if end is not None:
            qs = qs.filter(received_at__lte=end)
        if params.get("service_code"):
            qs = qs.filter(category__code__in=[c.strip() for c in params["service_code"].split(",")])
        status = params.get("status", "")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                return _error(request, fmt, 400, "status must be open or closed")
            if wanted == {"open"}:
                qs = qs.filter(status__in=OPEN_STATUSES)
            elif wanted == {"closed"}:
                qs = qs.filter(status__in=CLOSED_STATUSES)
    rows = list(qs.order_by("-received_at", "-id")[:MAX_RESULTS])
    areas = privacy.areas_of(rows)
    data = [_request_out(a, pubs[a.community_id], areas[a.pk]) for a in rows]
    return _render(request, data, fmt)


@policy.permission(policy.PUBLIC)
def request_detail(request: HttpRequest, pk: str, fmt: str = "json") -> HttpResponse:
    found = _published(request)
    if found is None:
        return _error(request, fmt, 403, "api_key is not valid")
    qs, pubs = found
    appeal_id = parse_id(pk)
    appeal = qs.filter(pk=appeal_id).first() if appeal_id is not None else None
    if appeal is None:  # missing, or of a community that does not publish or is out of the caller's scope
        return _error(request, fmt, 404, f"service_request_id {pk} not found")
    return _render(request, [_request_out(appeal, pubs[appeal.community_id], privacy.area_of(appeal))], fmt)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    user = token_authenticate(data.get("api_key", ""))
    if user is None:
        return _error(request, fmt, 403, "api_key is missing or not valid")
    code = data.get("service_code", "")
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if not code:
        return _error(request, fmt, 400, "service_code is required")
    if category is None:
        return _error(request, fmt, 404, f"service_code {code} not found")
    lat, lng = data.get("lat", ""), data.get("long", "")
    address, address_id = data.get("address_string", "").strip(), data.get("address_id", "").strip()
    if not ((lat and lng) or address or address_id):
        return _error(request, fmt, 400, "a location is required: lat and long, address_string or address_id")
    try:
        lat_v = float(lat) if lat else None
        lng_v = float(lng) if lng else None
    except ValueError:
        return _error(request, fmt, 400, "lat and long must be numbers")
    location = None
    if address_id:
        location = OrgUnit.objects.filter(pk=parse_id(address_id) or 0).first()
    elif (jurisdiction_id := parse_id(data.get("jurisdiction_id", ""))) is not None:
        location = OrgUnit.objects.filter(pk=jurisdiction_id, kind=UnitKind.COMMUNITY).first()
    if location is None or location.community_id is None:
        return _error(request, fmt, 400, "address_id or jurisdiction_id must name a place inside a community")
    community = OrgUnit.objects.get(pk=location.community_id)
    if not policy.can(user, "appeal.file", community):
        return _error(request, fmt, 403, "this api_key may not file appeals in that community")
    name = " ".join(p for p in (data.get("last_name", ""), data.get("first_name", "")) if p).strip()
    try:
        appeal = intake.appeal_file(
            actor=user,
            community=community,
            category=category,
            description=data.get("description", ""),
            location=location,
            channel=Channel.OPEN311,
            address=address,
            lat=lat_v,
            lng=lng_v,
            contact_name=name,
            contact_mobile=data.get("phone", ""),
            request=request,
        )
    except ValidationError as exc:
        messages = (
            [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        return _error(request, fmt, 400, "; ".join(messages))
    except PermissionDenied:
        return _error(request, fmt, 403, "this api_key may not file appeals")
    return _render(
        request, [{"service_request_id": str(appeal.pk), "service_notice": "", "account_id": None}], fmt, 201
    )
