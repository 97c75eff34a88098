"""The screening of residents' free text (core.screening): what is found, how it is stored and shown, and the
model field other apps use (a space booking's purpose)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from anju.access.roles import Role
from anju.core import crypto, screening
from anju.spaces import services
from anju.spaces.models import Booking
from anju.testing import Tree, make_user
from anju.testing.appeals import AppealsWorld
from anju.testing.spaces import days_ahead, local, make_station


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("请回电17000000002", "mobile", "17000000002"),
        ("电话 170 0000 0002 谢谢", "mobile", "17000000002"),
        ("tel 170-0000-0002", "mobile", "17000000002"),
        ("+86 17000000002", "mobile", "17000000002"),
        ("+86-170-0000-0002", "mobile", "17000000002"),
        ("身份证421102199001011234", "id_number", "421102199001011234"),  # checksum not valid: still found
        ("身份证11010519491231002X", "id_number", "11010519491231002X"),  # checksum valid
        ("卡号 6222 0000 0000 0000 007", "number", "6222000000000000007"),  # not Luhn: a long number
        ("卡号 4111 1111 1111 1111", "bank_card", "4111111111111111"),
        ("卡号4111111111111111", "bank_card", "4111111111111111"),
        ("车牌鄂J·12345停在门口", "plate", "鄂J12345"),
        ("新能源鄂JD12345", "plate", "鄂JD12345"),
        ("座机 0713-8123456", "number", "07138123456"),
    ],
)
def test_finds_numbers(text: str, kind: str, value: str) -> None:
    found = [f for _s, _e, f in screening.find(text)]
    assert [(f.kind, f.value) for f in found] == [(kind, value)]


@pytest.mark.parametrize("text", ["3栋2单元501", "2026-05-01 下午3点", "人数 12 人", "第1234号", "鄂州市"])
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert screening.find(text) == []
    assert screening.screen(text) == text


def test_stored_sealed_shown_masked_revealed_in_full(db: Any) -> None:
    text = "回电 17000000002，身份证 11010519491231002X，鄂J·12345"
    stored = screening.screen(text)
    assert "17000000002" not in stored
    assert "11010519491231002X" not in stored
    assert "12345" not in stored
    assert stored.startswith("回电 ⟦1⟧，身份证 ⟦2⟧，⟦3⟧⟦pii v1:")
    assert screening.masked(stored) == "回电 170****0002，身份证 1101**************，鄂J·***45"
    assert screening.revealed(stored) == "回电 17000000002，身份证 11010519491231002X，鄂J12345"
    assert screening.screen(stored) == stored  # idempotent


def test_typed_placeholders_cannot_be_forged() -> None:
    assert screening.screen("⟦1⟧ ⟦pii v1:k1:abc⟧") == "【1】 【pii v1:k1:abc】"
    assert screening.masked("⟦1⟧ no trailer") == "⟦1⟧ no trailer"  # an old unscreened row is shown as stored


def test_reseal_moves_the_trailer_to_the_current_key(db: Any, monkeypatch: Any) -> None:
    stored = screening.screen("回电17000000002")
    assert screening.reseal(stored) is None  # already under the current key
    ring = crypto.keyring()
    other = crypto.Keyring(current="k9", keys={**ring.keys, "k9": b"\x01" * 32}, hash_key=ring.hash_key)
    monkeypatch.setattr(crypto, "keyring", lambda: other)
    fresh = screening.reseal(stored)
    assert fresh is not None
    assert "⟦pii v1:k9:" in fresh
    assert screening.revealed(fresh) == "回电17000000002"


def test_booking_purpose_is_sealed_at_rest_and_read_back_masked(tree: Tree) -> None:
    demo = make_station(tree.community)
    resident = make_user(Role.RESIDENT, tree.building)
    day = days_ahead(3)
    result = services.booking_create(
        actor=resident,
        space=demo.kitchen,
        starts_at=local(day, 14),
        ends_at=local(day, 16),
        title="生日聚会，联系 17000000002",
    )
    booking = Booking.objects.get(pk=result.bookings[0].pk)
    assert str(booking.title) == "生日聚会，联系 170****0002"
    with connection.cursor() as cur:
        cur.execute("SELECT title FROM spaces_booking WHERE id = %s", [booking.pk])
        raw = cur.fetchone()[0]
    assert "17000000002" not in raw
    booking.save()  # saved again: the sealed number is kept, not replaced by the masked text
    assert screening.revealed(Booking.objects.get(pk=booking.pk).title.stored) == "生日聚会，联系 17000000002"
    # A purpose stored before screening is sealed by the migration (idempotent).
    Booking.objects.filter(pk=booking.pk).update(title="旧的 17000000003")
    with connection.cursor() as cur:
        cur.execute("UPDATE spaces_booking SET title = %s WHERE id = %s", ["旧的 17000000003", booking.pk])
    migration = importlib.import_module("anju.spaces.migrations.0007_screened_purpose")
    migration.screen_purposes(django_apps, None)
    migration.screen_purposes(django_apps, None)
    assert str(Booking.objects.get(pk=booking.pk).title) == "旧的 170****0003"


def test_rotating_the_data_key_reseals_screened_texts(key_file: Any, tree: Tree, world: AppealsWorld) -> None:
    """``anju rotate_keys`` re-seals the numbers typed into free text (appeal texts and ScreenedCharFields),
    not only the registry's sealed columns: after it, no trailer is left under the old key."""
    from django.core.management import call_command

    from anju.appeals.models import Appeal
    from anju.core import pii

    appeal = world.file(description="请回电 17000000002", address="鄂J·12345 旁")
    demo = make_station(tree.community)
    day = days_ahead(3)
    result = services.booking_create(
        actor=make_user(Role.RESIDENT, tree.building),
        space=demo.kitchen,
        starts_at=local(day, 14),
        ends_at=local(day, 16),
        title="聚会，联系 17000000003",
    )
    old_kid = crypto.keyring().current

    def trailer_key(stored: str) -> str:
        found = screening.TRAILER.search(stored)
        assert found is not None
        return crypto.key_id_of(found.group(1))

    assert trailer_key(Appeal.objects.get(pk=appeal.pk).description) == old_kid
    call_command("rotate_keys")
    new_kid = crypto.keyring().current
    assert new_kid != old_kid
    appeal = Appeal.objects.get(pk=appeal.pk)
    booking = Booking.objects.get(pk=result.bookings[0].pk)
    for stored in (appeal.description, appeal.address, booking.title.stored):
        assert trailer_key(stored) == new_kid
    assert screening.revealed(appeal.description) == "请回电 17000000002"
    assert screening.revealed(booking.title.stored) == "聚会，联系 17000000003"
    assert sum(pii.reseal_all().values()) == 0  # resuming is a no-op
