"""What each role sees of a resident is decided as a whole (people.profiles, DESIGN.md rule 3): for every
demo role and every demo resident, nothing shown anywhere — the resident's page, their edit form, the API
and the Excel export — rebuilds the ID number, not even for the roles that may reveal it (a reveal is
logged; a rebuild would not be)."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from anju.core.masking import mask_id_number
from anju.people import profiles
from anju.people.models import Resident, Tag
from anju.testing.demo import (
    EARLIEST,
    ROLES,
    DemoWorld,
    as_text,
    band_dates,
    dates_between,
    id_candidates,
    load_demo_world,
)

pytestmark = pytest.mark.django_db

# Every role must be left with at least this many ID numbers agreeing with all it is shown.
MIN_CANDIDATES = 100
MASKED_ID = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?![0-9X*])")
DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
BAND = re.compile(r"(\d{1,3})–(\d{1,3})")
EXPORTERS = {"admin", "secretary", "worker"}


@pytest.fixture
def demo_world() -> DemoWorld:
    return load_demo_world()


def _export_rows(client: Any, api_ids: list[int]) -> dict[int, str]:
    """The masked Excel export of every resident within reach, row by row: it lists them in the order of
    the API list (one selector), which gives each row its resident."""
    response = client.get(reverse("people:export") + "?status=all")
    if response.status_code != 200:
        return {}
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [
        " ".join(str(c) for c in row if c is not None) for row in book.active.iter_rows(min_row=2, values_only=True)
    ]
    assert len(rows) == len(api_ids)
    return dict(zip(api_ids, rows, strict=True))


def _shown(demo_world: DemoWorld, role: str, resident: Resident, extra: list[str]) -> str:
    """Everything ``role`` is shown about ``resident`` (its pages, and ``extra``: its API row and
    export row), as one text."""
    client = demo_world.clients[role]
    parts = list(extra)
    for name in ("people:resident", "people:resident_edit"):
        response = client.get(reverse(name, args=[resident.pk]))
        if response.status_code == 200:
            parts.append(as_text(response))
    return "\n".join(parts)


def _candidates(number: str, shown: str) -> tuple[int, str]:
    """How many ID numbers agree with ``shown`` (up to MIN_CANDIDATES), and what the birth was taken from."""
    if number in shown:
        return 1, "full number"
    masks = [m for m in MASKED_ID.findall(shown) if "*" in m]
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    today = timezone.localdate()
    if born.isoformat() in shown:
        births, source = [born], "birth date"  # the attacker knows which shown date is the birth date
    else:
        bands = [(int(lo), int(hi)) for lo, hi in BAND.findall(shown) if int(hi) - int(lo) == 9]
        if bands:
            births, source = sorted({d for lo, hi in bands for d in band_dates(lo, hi, today)}), "age band"
        else:
            births, source = dates_between(EARLIEST, today), "nothing"
    count = id_candidates(
        region=number[:6], male=int(number[16]) % 2 == 1, shown_ids=masks, births=births, limit=MIN_CANDIDATES
    )
    return count, source


def test_no_role_can_rebuild_an_id_number_from_what_it_is_shown(demo_world: DemoWorld) -> None:
    seen_birth: dict[str, set[str]] = {role: set() for role in ROLES}
    problems = []
    for role in ROLES:
        client = demo_world.clients[role]
        listed = client.get("/api/v1/people/residents?status=all&limit=200")
        api_rows = {row["id"]: row for row in listed.json()["results"]} if listed.status_code == 200 else {}
        exported = _export_rows(client, list(api_rows)) if role in EXPORTERS else {}
        for resident in demo_world.residents:
            extra = [json.dumps(api_rows.get(resident.pk, {}), ensure_ascii=False), exported.get(resident.pk, "")]
            shown = _shown(demo_world, role, resident, extra)
            count, source = _candidates(resident.id_number, shown)
            seen_birth[role].add(source)
            if count < MIN_CANDIDATES:
                problems.append(f"{role} narrows resident {resident.pk} to {count} ID numbers ({source})")
    assert problems == []
    # The walk saw what each profile shows (the check above can fail: see the next test).
    for role in ("admin", "secretary", "worker"):
        assert seen_birth[role] == {"birth date"}, role
    assert seen_birth["gridworker"] == {"birth date", "nothing"}  # their grid only
    for role in ("supervisor", "volunteer"):
        assert "age band" in seen_birth[role], role
        assert "birth date" not in seen_birth[role], role
    for role in ("liaison", "resident"):
        assert seen_birth[role] == {"nothing"}, role


def test_the_usual_mask_beside_a_birth_date_is_rebuilt() -> None:
    """Why the registry no longer shows ``4299**********0550``: the enumeration above finds the one
    number such a mask and a birth date leave, so the test fails on that combination."""
    from anju.people import fakes

    born = date(1948, 3, 8)
    number = fakes.id_number(born, 27, male=True)
    usual = number[:4] + "*" * 10 + number[-4:]
    assert id_candidates(region=number[:6], male=True, shown_ids=[usual], births=[born], limit=50) == 1
    assert _candidates(number, f"{usual} {born.isoformat()}")[0] == 1
    ours = mask_id_number(number)
    assert _candidates(number, f"{ours} {born.isoformat()}")[0] >= MIN_CANDIDATES


def test_limited_profile_hides_door_and_sensitive_tags(demo_world: DemoWorld) -> None:
    sensitive = set(Tag.objects.filter(sensitive=True).values_list("name", flat=True))
    assert sensitive == {"残疾", "低保", "孕产妇"}
    carrier = next(r for r in demo_world.residents if r.is_active and {t.name for t in r.tags.all()} & sensitive)
    door = carrier.household.address.door
    for role, profile in (("worker", profiles.FULL), ("gridworker", profiles.FULL), ("volunteer", profiles.LIMITED)):
        client = demo_world.clients[role]
        row = client.get(f"/api/v1/people/residents/{carrier.pk}").json()
        assert row["profile"] == profile.key
        assert bool(set(row["tags"]) & sensitive) is profile.sensitive_tags, role
        assert (door in row["address"]) is profile.door, role
        assert (row["birth_date"] is not None) is profile.birth_date
        household = client.get(f"/api/v1/people/households/{carrier.household_id}").json()
        assert (household["door"] == door) is profile.door, role
        page = as_text(client.get(reverse("people:household", args=[carrier.household_id])))
        # The door as a number of its own, anywhere but in a link's address: on PostgreSQL the ids in the page's
        # links (a resident's, an appeal's) run into the thousands, and "/residents/1103/" is no door.
        shown = re.sub(r'(?:href|src|action)="[^"]*"', "", page)
        assert bool(re.search(rf"(?<!\d){re.escape(door)}(?!\d)", shown)) is profile.door, role
    # Filtering by a sensitive tag would tell who carries it: refused to the limited profile.
    tag = Tag.objects.get(name="低保", community=carrier.community)
    volunteer = demo_world.clients["volunteer"]
    assert volunteer.get(f"/api/v1/people/residents?tag_id={tag.pk}").json()["count"] == 0
    assert demo_world.clients["worker"].get(f"/api/v1/people/residents?tag_id={tag.pk}").json()["count"] > 0
    listing = as_text(volunteer.get(reverse("people:residents")))
    assert "低保" not in listing
    assert "老人" in listing
    # Nor may the door number be searched for.
    found = volunteer.get(f"/api/v1/people/households?q={door}").json()["count"]
    assert found == 0
    assert demo_world.clients["worker"].get(f"/api/v1/people/households?q={door}").json()["count"] > 0


def test_tags_created_sensitive_by_default_only_for_the_sensitive_defaults(demo_world: DemoWorld) -> None:
    from anju.people import services
    from anju.people.models import SENSITIVE_DEFAULT_TAGS

    community = demo_world.residents[0].community
    made = services.tag_create(actor=None, community=community, name="慢性病", sensitive=True)
    plain = services.tag_create(actor=None, community=community, name="志愿者")
    assert made.sensitive
    assert not plain.sensitive
    assert set(Tag.objects.filter(community=community, sensitive=True).values_list("name", flat=True)) == {
        *SENSITIVE_DEFAULT_TAGS,
        "慢性病",
    }


def test_default_tags_read_in_english_unless_the_community_renamed_them(demo_world: DemoWorld) -> None:
    from anju.testing import english_client

    worker = demo_world.users["worker"]
    elder = Tag.objects.filter(name="老人", community=demo_world.residents[0].community).get()
    english = as_text(english_client(worker).get(reverse("people:residents")))
    assert "Older resident" in english  # the badges and the filter's options
    assert (
        f'<option value="{elder.pk}">Older resident</option>'
        in english_client(worker).get(reverse("people:residents")).content.decode()
    )
    assert "老人" not in english
    assert "Older resident" not in as_text(demo_world.clients["worker"].get(reverse("people:residents")))
    # A tag the community renamed is its own: shown as typed, in every language.
    Tag.objects.filter(pk=elder.pk).update(name="高龄老人")
    english = english_client(worker).get(reverse("people:residents")).content.decode()
    assert f'<option value="{elder.pk}">高龄老人</option>' in english
    assert "Older resident living alone" in english  # the other defaults still read in English
