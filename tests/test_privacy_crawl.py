"""The privacy crawl (DESIGN.md rule 3): signed in as each demo role, every page reachable — URL patterns
resolved with the ids of demo objects, links followed from page to page up to a bound — and every GET
operation of the API shows

* no registry mobile or ID number in full (revealing is a POST with a reason, never a page);
* no number typed into an appeal's free text in full (to anyone but the person who typed it);
* to a resident, no other resident's name from the registry;

and the anonymous surfaces (Open311, the public pages) show none of that either.

The free-text assertions are separate tests: the screening of free text lands with the appeals' own
privacy work; until then they fail on purpose (never skipped).

The walk runs once per test session (the demo load and the crawl are the cost); each test reads its
answers, which are plain text.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from openpyxl import load_workbook

from anju.accounts.models import User
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, Channel
from anju.orgs.models import OrgUnit, TaskForceMember, UnitKind
from anju.people import fakes
from anju.people.selectors import household_members_of
from anju.testing.demo import ROLES, DemoWorld, load_demo_world
from test_permissions import api_operations, iter_endpoints

pytestmark = pytest.mark.django_db

# Numbers typed into appeals' free text (fictional: the 170 range and region 429999).
TYPED_MOBILE = "17099990001"
TYPED_ID = fakes.id_number(date(1961, 7, 15), 401, male=True)
ANON_MOBILE = "17099990002"  # in an anonymous appeal's text
ANON_CONTACT = "欧阳秋菊"  # the anonymous requester's contact name
ANON_CONTACT_MOBILE = "17099990003"

PER_ROUTE = 2  # pages fetched per URL pattern (by its name), so that 70 appeals cost two fetches
PAGE_LIMIT = 260  # pages per role
HREF = re.compile(r'(?:href|hx-get|action)="(/[^"#]*)"')
SKIP = ("/static/", "/media/", "/admin/", "/accounts/logout", "/api/v1/docs", "/api/v1/openapi")
ID_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class Crawl:
    answers: dict[str, dict[str, str]]  # role (or "anonymous") → url → text
    server_errors: list[str]
    registry_numbers: set[str]  # the registry's mobile and ID numbers, and an appeal's contact number
    registry_names: dict[str, set[str]]  # role → names of the registry that role must not be shown
    typed: dict[str, set[str]]  # role → free-text numbers that role must not be shown
    appeals: list[Appeal] = field(default_factory=list)


_CACHE: dict[str, Crawl] = {}


def _text(response: Any) -> str:
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row)
    if kind.startswith(("image/", "application/octet-stream", "application/pdf")):
        return ""
    return body.decode("utf-8", "replace")


def _seed_appeals(world: DemoWorld) -> list[Appeal]:
    community = OrgUnit.objects.get(name="安居社区")
    building = OrgUnit.objects.filter(community=community, kind=UnitKind.BUILDING).order_by("path").first()
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    resident = world.users["resident"]
    mine = intake.appeal_file(
        actor=resident,
        requester=resident,
        community=community,
        category=category,
        description=f"楼道灯坏了三天，晚上请打 {TYPED_MOBILE} 找我，身份证号 {TYPED_ID}。",
        location=building,
        channel=Channel.APP,
    )
    anonymous = intake.appeal_file(
        actor=None,
        community=community,
        category=category,
        description=f"垃圾没人清运，电话 {ANON_MOBILE}。",
        location=building,
        channel=Channel.ANONYMOUS,
        contact_name=ANON_CONTACT,
        contact_mobile=ANON_CONTACT_MOBILE,
    )
    return [mine, anonymous]


def _fixed_urls() -> list[str]:
    """Every URL pattern without parameters (the pages, and the API's lists)."""
    urls = []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        route = endpoint.route
        if "<" in route or "^" in route or "(" in route:
            continue
        urls.append("/" + route)
    return urls


def _model_for(param: str) -> Any:
    name = param.removesuffix("_id").replace("_", "")
    models = apps.get_models()
    exact = [m for m in models if m._meta.model_name == name]
    return (exact or [m for m in models if m._meta.model_name.endswith(name)] or [None])[0]


def _api_urls(appeals: list[Appeal]) -> list[str]:
    """Every GET operation of the API, each path parameter filled with ids of demo objects (the seeded
    appeals first)."""
    urls = []
    for method, route, _operation in api_operations():
        if method != "GET":
            continue
        params = ID_PARAM.findall(route)
        if not params:
            urls.append("/api/v1" + route)
            continue
        model = _model_for(params[0])
        if model is None:
            continue
        if model is Appeal:
            ids = [a.pk for a in appeals]
        else:
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            ids = sorted(set(pks[:2] + pks[-1:]))
        for pk in ids:
            urls.append("/api/v1" + ID_PARAM.sub(str(pk), route, count=1))
    return urls


def _crawl(client: Client, seeds: Iterable[str], errors: list[str], who: str) -> dict[str, str]:
    seen: dict[str, str] = {}
    per_route: Counter[str] = Counter()
    queue = deque(seeds)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP):
            continue
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        if per_route[match.view_name] >= PER_ROUTE:
            continue
        per_route[match.view_name] += 1
        response = client.get(url)
        if response.status_code >= 500:
            errors.append(f"{who} GET {url}: {response.status_code}")
        text = _text(response)
        seen[url] = text
        if "html" in response.get("Content-Type", ""):
            queue.extend(html.unescape(link) for link in HREF.findall(text))
    return seen


def _survey_and_ledger_pages() -> list[str]:
    """The demo's opinion collection and ledger pages, as seeds: links alone would reach them only after the
    page limit, and they show households (participation), free text (answers) and contributors' names."""
    from anju.consult.models import Survey
    from anju.contributions.models import Contribution, Project

    urls = []
    for pk in Survey.objects.order_by("pk").values_list("pk", flat=True)[:2]:
        for page in ("", "results/", "results/export/", "participation/", "paper/", "assist/", "tally/"):
            urls.append(f"/consult/surveys/{pk}/{page}")
        for op in ("", "/results", "/participation"):
            urls.append(f"/api/v1/consult/surveys/{pk}{op}")
    for pk in Project.objects.order_by("pk").values_list("pk", flat=True)[:2]:
        urls += [f"/contributions/projects/{pk}/", f"/contributions/public/{pk}/", f"/contributions/public/{pk}/excel/"]
    for pk in Contribution.objects.order_by("pk").values_list("pk", flat=True)[:2]:
        urls.append(f"/contributions/items/{pk}/receipt/")
    return urls


def crawl() -> Crawl:
    """Load the demo, seed the appeals, walk as every role and anonymously (once per session)."""
    if "done" in _CACHE:
        return _CACHE["done"]
    world = load_demo_world()
    appeals = _seed_appeals(world)
    errors: list[str] = []
    fixed = _fixed_urls()
    seeded = [f"/appeals/{a.pk}/" for a in appeals] + _survey_and_ledger_pages()
    api = _api_urls(appeals)
    answers = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(world.users[role])
        answers[role] = _crawl(client, ["/", *seeded, *fixed, *api], errors, role)
    anonymous = Client(raise_request_exception=False)
    open311 = ["/open311/v2/discovery.json", "/open311/v2/services.json", "/open311/v2/requests.json"]
    open311 += ["/open311/v2/requests.xml", "/open311/v2/services.xml"]
    for a in appeals:
        open311 += [f"/open311/v2/requests/{a.number}.json", f"/open311/v2/requests/{a.pk}.json"]
    answers["anonymous"] = _crawl(anonymous, ["/", *open311, *seeded, *fixed, *api], errors, "anonymous")

    staff_names = set(User.objects.values_list("display_name", flat=True))
    staff_names |= set(TaskForceMember.objects.values_list("name", flat=True))
    everyone = {r.name for r in world.residents} - staff_names
    own = {r.name for r in household_members_of(world.users["resident"])}
    names = {"resident": everyone - own, "anonymous": everyone}
    numbers = {TYPED_MOBILE, TYPED_ID, ANON_MOBILE}
    typed = {role: numbers - ({TYPED_MOBILE, TYPED_ID} if role == "resident" else set()) for role in ROLES}
    typed["anonymous"] = numbers
    result = Crawl(
        answers=answers,
        server_errors=errors,
        registry_numbers=set(world.mobiles) | set(world.id_numbers) | {ANON_CONTACT_MOBILE},
        registry_names=names,
        typed=typed,
        appeals=appeals,
    )
    _CACHE["done"] = result
    return result


def _leaks(answers: dict[str, str], secrets: Iterable[str]) -> list[str]:
    found = []
    for url, text in answers.items():
        for secret in secrets:
            if secret in text:
                found.append(f"{secret} at {url}")
    return found


# --- the walk itself --------------------------------------------------------------------------------


def test_the_walk_reaches_the_registry_the_appeals_and_the_api_as_each_role() -> None:
    result = crawl()
    worker = result.answers["worker"]
    assert len(worker) > 100
    assert any(url.startswith("/people/residents/") for url in worker)
    assert any(url.startswith("/api/v1/people/residents/") for url in worker)
    assert f"/appeals/{result.appeals[0].pk}/" in worker
    assert "/people/export/" in worker
    assert "4299*" in worker["/people/export/"]
    assert f"/appeals/{result.appeals[0].pk}/" in result.answers["resident"]
    assert any(url.startswith("/open311/") for url in result.answers["anonymous"])
    assert result.server_errors == []


def test_the_walk_reads_the_survey_and_ledger_pages() -> None:
    """Opinion collection (participation by household, free-text answers, the results export) and the ledger
    (contributors' names, the public page and its Excel) are in the walk, for staff, a resident and the public."""
    result = crawl()
    worker, resident = result.answers["worker"], result.answers["resident"]
    for prefix in ("/consult/surveys/", "/api/v1/consult/surveys/", "/contributions/projects/"):
        assert any(url.startswith(prefix) for url in worker), prefix
    for page in ("participation/", "results/", "results/export/", "paper/"):
        assert any(url.startswith("/consult/surveys/") and url.endswith(page) for url in worker), page
    assert any(url.startswith("/consult/surveys/") for url in resident)
    assert any(url.startswith("/contributions/public/") for url in result.answers["anonymous"])


# --- registry numbers and names (this branch) -----------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_no_registry_number_in_full(role: str) -> None:
    result = crawl()
    assert _leaks(result.answers[role], result.registry_numbers) == []


@pytest.mark.parametrize("role", ["resident", "anonymous"])
def test_residents_and_the_public_see_no_other_residents_names(role: str) -> None:
    result = crawl()
    assert result.registry_names[role]  # the check has names to look for
    assert _leaks(result.answers[role], result.registry_names[role]) == []


def test_anonymous_surfaces_show_no_requester() -> None:
    result = crawl()
    assert _leaks(result.answers["anonymous"], {ANON_CONTACT, ANON_CONTACT_MOBILE}) == []


# --- free text (screened by the appeals' privacy work) ---------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_number_typed_in_free_text_in_full(role: str) -> None:
    result = crawl()
    assert _leaks(result.answers[role], result.typed[role]) == []


def test_anonymous_surfaces_show_no_number_typed_in_free_text() -> None:
    result = crawl()
    assert _leaks(result.answers["anonymous"], result.typed["anonymous"]) == []
