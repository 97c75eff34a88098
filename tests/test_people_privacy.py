"""Personal data stays sealed at rest, masked in every response, and classified (DESIGN.md rule 3)."""

from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from anju.api import api as anju_api
from anju.audit.models import PiiAccess
from anju.core import pii
from anju.people.models import DEFAULT_TAGS, Household, Resident, Tag
from anju.site.demo import load_demo
from anju.testing.people import PeopleWorld, plaintexts

pytestmark = pytest.mark.usefixtures("english")

# --- at rest -------------------------------------------------------------------------------


def _raw_database_bytes(tmp_path: Path) -> bytes:
    """SQLite: the database written out to a file and read raw, plus its SQL dump.
    PostgreSQL: the output of pg_dump of the test database."""
    if connection.vendor == "sqlite":
        target = tmp_path / f"copy{len(list(tmp_path.iterdir()))}.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
        dump = "\n".join(connection.connection.iterdump()).encode()
        return target.read_bytes() + dump
    settings = connection.settings_dict
    env = dict(os.environ, PGPASSWORD=str(settings.get("PASSWORD") or ""))
    command = ["pg_dump", "-h", str(settings["HOST"]), "-p", str(settings["PORT"] or 5432), "-U", str(settings["USER"])]
    return subprocess.run([*command, str(settings["NAME"])], check=True, capture_output=True, env=env).stdout


def _restore_seed_data() -> None:
    """An earlier transactional test ends with a flush that also empties rows seeded by data
    migrations (the appeals catalogue the demo needs); put them back as the migration does."""
    from django.apps import apps

    from anju.appeals.models import Category

    if not Category.objects.exists():
        importlib.import_module("anju.appeals.migrations.0002_seed_catalogue").seed(apps, None)


@pytest.mark.django_db(transaction=True)
def test_demo_database_holds_no_plaintext_mobile_or_id_number(tmp_path: Path) -> None:
    _restore_seed_data()
    load_demo(log=lambda *a: None)
    values = plaintexts()
    assert len(values) > 40
    # The demo covers every tag, party members and central households.
    used = set(Tag.objects.filter(residents__isnull=False).values_list("name", flat=True))
    assert set(DEFAULT_TAGS) <= used
    assert Resident.objects.filter(is_party_member=True).exists()
    assert Household.objects.filter(is_central=True).exists()
    assert Resident.objects.exclude(status="active").count() == 2
    raw = _raw_database_bytes(tmp_path)
    assert len(raw) > 10_000
    leaked = [v for v in values if v.encode() in raw]
    assert leaked == []
    # The check can fail: a plaintext value planted in a text column is found.
    Tag.objects.filter(pk=Tag.objects.first().pk).update(name=sorted(values)[0][:11][-8:])  # type: ignore[union-attr]
    assert sorted(values)[0][:11][-8:].encode() in _raw_database_bytes(tmp_path)


# --- in every response ---------------------------------------------------------------------


def _page_urls(people_world: PeopleWorld) -> list[str]:
    urls = [
        reverse("core:home"),
        reverse("people:residents"),
        reverse("people:residents") + "?status=all",
        reverse("people:households") + "?status=all",
        reverse("people:import"),
        reverse("people:tags"),
        reverse("people:household_create"),
        reverse("audit:pii"),
    ]
    for r in [*people_world.residents, people_world.other_resident]:
        urls += [reverse("people:resident", args=[r.pk]), reverse("people:resident_edit", args=[r.pk])]
        urls.append(reverse("people:residents") + f"?q={r.mobile}")
        urls.append(reverse("people:residents") + f"?q={r.id_number}")
    for h in people_world.households:
        urls.append(reverse("people:household", args=[h.pk]))
        urls.append(reverse("people:resident_create") + f"?household={h.pk}")
    return urls


def _api_urls(people_world: PeopleWorld) -> list[str]:
    urls = []
    ids = {
        "resident_id": [r.pk for r in [*people_world.residents, people_world.other_resident]],
        "household_id": [h.pk for h in people_world.households],
    }
    routes = [
        prefix.rstrip("/") + route
        for prefix, router in anju_api._routers
        for route, path_view in router.path_operations.items()
        if any("GET" in op.methods for op in path_view.operations)
    ]
    for route in routes:
        params = re.findall(r"{(\w+)}", route)
        if not params:
            urls.append(f"/api/v1/{route.lstrip('/')}")
        elif len(params) == 1 and params[0] in ids:
            urls += [f"/api/v1/{route.lstrip('/')}".replace(f"{{{params[0]}}}", str(pk)) for pk in ids[params[0]]]
    urls.append(f"/api/v1/people/residents?q={people_world.residents[0].mobile}")
    urls.append("/api/v1/people/residents?status=all")
    return [u.replace("/api/v1//", "/api/v1/") for u in urls]


ROLES = [
    "volunteer",
    "grid_worker",
    "community_worker",
    "branch_secretary",
    "supervisor",
    "admin",
    "resident",
    "liaison",
]


def test_crawl_as_every_role_finds_no_full_number(people_world: PeopleWorld, client_for: Any) -> None:
    values = plaintexts()
    pages, api = _page_urls(people_world), _api_urls(people_world)
    assert any("/people/residents/" in u for u in api)
    seen_ok = 0
    for role in ROLES:
        client = client_for(people_world.users[role])
        for url in pages + api:
            response = client.get(url, follow=True)
            assert response.status_code < 500, (role, url)
            if response.status_code == 200:
                seen_ok += 1
                body = response.content.decode()
                leaked = [v for v in values if v in body]
                assert not leaked, (role, url, leaked)
    assert seen_ok > 100
    # Names: full for workers, masked for volunteers and supervisors.
    detail = reverse("people:resident", args=[people_world.residents[1].pk])
    assert "李秀英" in client_for(people_world.users["grid_worker"]).get(detail).content.decode()
    for role in ("volunteer", "supervisor"):
        body = client_for(people_world.users[role]).get(detail).content.decode()
        assert "李*英" in body
        assert "李秀英" not in body
        api_body = (
            client_for(people_world.users[role]).get(f"/api/v1/people/residents/{people_world.residents[1].pk}").json()
        )
        assert api_body["name"] == "李*英"
        assert "*" in api_body["mobile"]


def test_reveal_shows_one_value_once_and_logs_it(people_world: PeopleWorld, client_for: Any) -> None:
    worker = people_world.users["community_worker"]
    client = client_for(worker)
    target = people_world.residents[0]
    url = reverse("people:resident_reveal", args=[target.pk])
    response = client.post(
        url, {"field": "mobile", "purpose": "callback", "reason": "核实独居老人联系方式"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert target.mobile in body
    assert target.id_number not in body
    log = PiiAccess.objects.get()
    assert (log.actor_id, log.subject_id, log.field) == (worker.pk, str(target.pk), "mobile")
    # Later pages are masked again.
    assert target.mobile not in client.get(reverse("people:resident", args=[target.pk])).content.decode()
    # No reason, no reveal, no row.
    assert (
        client.post(
            url, {"field": "id_number", "purpose": "verify_identity", "reason": ""}, HTTP_HX_REQUEST="true"
        ).status_code
        == 422
    )
    # Roles that may not reveal get 403; another community's resident answers 404.
    for role in ("volunteer", "grid_worker", "supervisor"):
        assert (
            client_for(people_world.users[role])
            .post(url, {"field": "mobile", "purpose": "callback", "reason": "核实独居老人联系方式"})
            .status_code
            == 403
        )
    other = reverse("people:resident_reveal", args=[people_world.other_resident.pk])
    assert (
        client.post(other, {"field": "mobile", "purpose": "callback", "reason": "核实独居老人联系方式"}).status_code
        == 404
    )
    # The API reveal writes its row too, and the supervisors' log page shows both.
    api = client.post(
        f"/api/v1/people/residents/{target.pk}/reveal",
        {"field": "id_number", "purpose": "verify_identity", "reason": "办理高龄补贴"},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert "no-store" in api["Cache-Control"]
    assert api.json()["value"] == target.id_number
    assert PiiAccess.objects.count() == 2
    log_page = client_for(people_world.users["supervisor"]).get(reverse("audit:pii")).content.decode()
    assert "办理高龄补贴" in log_page
    assert "核实独居老人联系方式" in log_page
    assert target.mobile not in log_page
    assert "张三" not in log_page


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row)


def test_export_is_masked_unless_revealed_with_a_reason(people_world: PeopleWorld, client_for: Any) -> None:
    worker = client_for(people_world.users["community_worker"])
    values = plaintexts()
    masked = worker.get(reverse("people:export"))
    assert masked.status_code == 200
    text = _xlsx_text(masked.content)
    assert "张三" in text
    assert not [v for v in values if v in text]
    assert "138" not in text or "****" in text
    assert PiiAccess.objects.count() == 0
    unmasked = worker.post(
        reverse("people:export") + "?tag=" + str(people_world.tags["老人"].pk),
        {"unmasked": "1", "purpose": "verify_identity", "reason": "民政部门高龄补贴核对"},
    )
    assert unmasked.status_code == 200
    text = _xlsx_text(unmasked.content)
    assert people_world.residents[0].id_number in text
    assert people_world.residents[1].mobile in text
    assert people_world.residents[2].id_number not in text  # filtered out
    assert PiiAccess.objects.filter(reason="民政部门高龄补贴核对").count() == 2
    no_reason = worker.post(reverse("people:export"), {"unmasked": "1", "reason": ""})
    assert no_reason.status_code == 302
    assert PiiAccess.objects.count() == 2
    assert client_for(people_world.users["volunteer"]).get(reverse("people:export")).status_code == 403
    assert (
        client_for(people_world.users["grid_worker"])
        .post(reverse("people:export"), {"unmasked": "1", "purpose": "other", "reason": "民政部门高龄补贴核对"})
        .status_code
        == 403
    )


# --- classification ------------------------------------------------------------------------


def test_every_personal_field_is_classified(db: Any) -> None:
    assert pii.unclassified_fields() == []
    classified = pii.classified()
    for key in ("accounts.User.mobile_sealed", "people.Resident.id_number_sealed", "people.Resident.tags"):
        assert key in classified
    for p in pii.PERSONAL:
        assert p.category
        assert p.purpose
        assert p.retention


def test_the_classification_test_can_fail(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(pii, "PERSONAL", tuple(p for p in pii.PERSONAL if p.field != "birth_date"))
    assert pii.unclassified_fields() == ["people.Resident.birth_date"]
    # A generic "name" counts only on person models.
    assert pii.looks_personal(Resident, "name")
    assert not pii.looks_personal(Tag, "name")
    assert pii.looks_personal(Tag, "contact_phone")


def test_sealed_fields_cover_users_and_residents(db: Any) -> None:
    labels = {f"{m._meta.label}.{f}" for m, f in pii.sealed_fields()}
    assert {
        "accounts.User.mobile_sealed",
        "people.Resident.mobile_sealed",
        "people.Resident.id_number_sealed",
    } <= labels


def test_exact_number_search_on_the_page_keeps_the_number_out_of_the_address(
    people_world: PeopleWorld, client_for: Any
) -> None:
    client = client_for(people_world.users["community_worker"])
    target = people_world.residents[1]
    response = client.get(reverse("people:residents"), {"q": f"+86 {target.mobile}"})
    assert response.status_code == 302
    assert target.mobile not in response["Location"]
    assert "exact=mobile%3A" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "李秀英" in page
    assert "张三" not in page
    forged = client.get(reverse("people:residents"), {"exact": "mobile:not-a-hash"}).content.decode()
    assert "李秀英" not in forged
