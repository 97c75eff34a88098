"""Station spaces set up by staff: details, booking rules, bookable hours, closed periods and photos."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from anju.access.roles import Role
from anju.audit.models import AuditEvent
from anju.spaces import services, setup
from anju.spaces.models import ClosedPeriod, OpeningHours, Space, SpacePhoto
from anju.testing import Tree, make_user
from anju.testing.spaces import Demo, days_ahead, local


@pytest.fixture(autouse=True)
def _english_and_media(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def staff(tree: Tree) -> Any:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="liufang")


@pytest.fixture
def resident(tree: Tree) -> Any:
    return make_user(Role.RESIDENT, tree.building, username="wang")


def login(user: Any) -> Client:
    client = Client()
    client.cookies["anju_language"] = "en"
    client.force_login(user)
    return client


def edit_url(space: Space) -> str:
    return reverse("spaces:edit", args=[space.pk])


def form_data(space: Space, **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in config_initial(space).items() if v is not None}
    for key in ("requires_approval", "closed_on_holidays", "is_active"):
        if not data.get(key):
            data.pop(key, None)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def config_initial(space: Space) -> dict[str, Any]:
    from anju.spaces.forms import SpaceForm

    return SpaceForm.initial_for(space)


def photo(name: str = "room.jpg", size: tuple[int, int] = (800, 600)) -> SimpleUploadedFile:
    img = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 27.0, 0.0)}  # GPS position
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def state(space: Space) -> tuple[Any, ...]:
    space.refresh_from_db()
    hours = sorted(OpeningHours.objects.filter(space=space).values_list("weekday", "opens", "closes"))
    return (
        tuple(getattr(space, f) for f in setup.EDIT_FIELDS),
        tuple(hours),
        AuditEvent.objects.count(),
        SpacePhoto.objects.count(),
    )


# --- who may edit ----------------------------------------------------------------------------


def test_only_staff_within_reach_edit_a_space(demo: Demo, staff: Any, resident: Any, tree: Tree) -> None:
    url = edit_url(demo.kitchen)
    assert login(staff).get(url).status_code == 200
    assert login(resident).get(url).status_code in (403, 404)
    assert login(make_user(Role.GRID_WORKER, tree.grid)).get(url).status_code in (403, 404)
    assert login(make_user(Role.COMMUNITY_WORKER, tree.other_community)).get(url).status_code == 404
    # The space page links to the edit page for staff only.
    assert url in login(staff).get(reverse("spaces:space", args=[demo.kitchen.pk])).content.decode()
    assert url not in login(resident).get(reverse("spaces:space", args=[demo.kitchen.pk])).content.decode()


# --- details, rules and hours ----------------------------------------------------------------


def test_staff_change_details_rules_and_hours_with_one_audit_row(demo: Demo, staff: Any, resident: Any) -> None:
    before = AuditEvent.objects.count()
    response = login(staff).post(
        edit_url(demo.kitchen),
        form_data(
            demo.kitchen,
            name="共享厨房（一楼）",
            capacity=12,
            weekly_limit=2,
            max_days_ahead=14,
            max_minutes=180,
            requires_approval="on",
            bookable_by=Space.Audience.RESIDENTS,
            key_location="值班室抽屉",
            hours_0="09:00-12:00, 14:00-18:00",
            hours_1="09:00-18:00",
            hours_2="9-18",
            hours_3="09:00-18:00",
            hours_4="09:00-18:00",
            hours_5="08:00-20:00",
            hours_6="",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    space = Space.objects.get(pk=demo.kitchen.pk)
    assert (space.name, space.capacity, space.weekly_limit, space.max_days_ahead, space.max_minutes) == (
        "共享厨房（一楼）",
        12,
        2,
        14,
        180,
    )
    assert space.requires_approval
    assert space.key_location == "值班室抽屉"
    hours = sorted(OpeningHours.objects.filter(space=space).values_list("weekday", "opens", "closes"))
    assert hours[:2] == [(0, time(9), time(12)), (0, time(14), time(18))]
    assert (2, time(9), time(18)) in hours
    assert not [h for h in hours if h[0] == 6]
    events = AuditEvent.objects.filter(pk__gt=0).order_by("-pk")[: AuditEvent.objects.count() - before]
    assert [e.action for e in events] == ["space.updated"]
    assert events[0].data["changed"]["weekly_limit"] == [0, 2]
    # The new rules hold for bookings: Sunday is not bookable, the lunch break neither, approval is needed.
    sunday = days_ahead(1 + (6 - days_ahead(1).weekday()) % 7)
    page = login(resident).post(
        reverse("spaces:book", args=[space.pk]),
        {"date": sunday.isoformat(), "starts": "10:00", "ends": "11:00", "title": "包饺子"},
    )
    assert page.status_code == 422
    assert "cannot be booked on this weekday" in page.content.decode()
    monday = days_ahead(1 + (0 - days_ahead(1).weekday()) % 7)
    made = services.booking_create(
        actor=resident, space=space, starts_at=local(monday, 15), ends_at=local(monday, 16), title="x"
    )
    assert made.bookings[0].status == "pending"


BAD_EDITS = [
    ("longest below shortest", {"min_minutes": 60, "max_minutes": 30}, "longest booking must be at least"),
    ("zero capacity", {"capacity": 0}, "Capacity is at least 1"),
    ("a year ahead and more", {"max_days_ahead": 400}, "between 1 and 366 days ahead"),
    ("negative limit", {"weekly_limit": -1}, "greater than or equal to 0"),
    ("empty name", {"name": "  "}, "This field is required"),
    ("hours end before start", {"hours_0": "18:00-09:00"}, "ends before it starts"),
    ("overlapping hours", {"hours_1": "09:00-12:00, 11:00-13:00"}, "overlap"),
    ("unreadable hours", {"hours_2": "nine to five"}, "Write each time span as 08:30-12:00"),
    ("no hours at all", {f"hours_{d}": "" for d in range(7)}, "at least one weekday"),
    ("unknown audience", {"bookable_by": "everyone"}, "Select a valid choice"),
    ("grace longer than a booking", {"checkin_grace_minutes": 500}, "grace period cannot be longer"),
]


@pytest.mark.parametrize(("case", "changes", "text"), BAD_EDITS, ids=[c[0] for c in BAD_EDITS])
def test_bad_edits_are_clear_errors_and_write_nothing(
    demo: Demo, staff: Any, case: str, changes: dict[str, Any], text: str
) -> None:
    services.space_set_hours(actor=None, space=demo.kitchen, hours=[(d, time(8), time(20)) for d in range(7)])
    before = state(demo.kitchen)
    response = login(staff).post(edit_url(demo.kitchen), form_data(demo.kitchen, **changes))
    assert response.status_code == 422
    assert text in response.content.decode()
    assert state(demo.kitchen) == before


def test_a_duplicate_name_is_refused_by_the_service(demo: Demo, staff: Any) -> None:
    before = state(demo.kitchen)
    response = login(staff).post(edit_url(demo.kitchen), form_data(demo.kitchen, name=demo.reading.name))
    assert response.status_code == 422
    assert "already has a space with this name" in response.content.decode()
    assert state(demo.kitchen) == before


# --- closed periods --------------------------------------------------------------------------


def test_staff_add_and_remove_closed_periods_from_the_edit_page(demo: Demo, staff: Any, resident: Any) -> None:
    day = days_ahead(4)
    client = login(staff)
    added = client.post(
        reverse("spaces:close", args=[demo.kitchen.pk]),
        {
            "starts": f"{day.isoformat()}T08:00",
            "ends": f"{day.isoformat()}T20:00",
            "reason": "燃气检修",
            "next": "edit",
        },
    )
    assert added.status_code == 302
    assert added.url == edit_url(demo.kitchen)
    period = ClosedPeriod.objects.get()
    assert "燃气检修" in client.get(edit_url(demo.kitchen)).content.decode()
    with pytest.raises(Exception, match="closed then"):
        services.booking_create(
            actor=resident, space=demo.kitchen, starts_at=local(day, 10), ends_at=local(day, 11), title="x"
        )
    # A closure of another space of the station is not this page's to remove.
    other = services.closed_period_add(
        actor=staff,
        station=demo.station,
        space=demo.reading,
        starts_at=local(day, 8),
        ends_at=local(day, 9),
        reason="r",
    )
    assert client.post(reverse("spaces:closure_remove", args=[demo.kitchen.pk, other.pk])).status_code == 404
    removed = client.post(reverse("spaces:closure_remove", args=[demo.kitchen.pk, period.pk]))
    assert removed.status_code == 302
    assert not ClosedPeriod.objects.filter(pk=period.pk).exists()
    assert AuditEvent.objects.filter(action="space.reopened").count() == 1
    assert services.booking_create(
        actor=resident, space=demo.kitchen, starts_at=local(day, 10), ends_at=local(day, 11), title="x"
    ).bookings
    assert login(resident).post(reverse("spaces:closure_remove", args=[demo.kitchen.pk, other.pk])).status_code in (
        403,
        404,
    )


# --- photos ----------------------------------------------------------------------------------


def test_photos_are_uploaded_cleaned_shown_and_removed(
    demo: Demo, staff: Any, resident: Any, tree: Tree, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(staff)
    response = client.post(
        reverse("spaces:photo_add", args=[demo.kitchen.pk]),
        {"photos": [photo("a.jpg", (3000, 2000)), photo("b.jpg")], "caption": "灶台"},
    )
    assert response.status_code == 302
    photos = list(SpacePhoto.objects.filter(space=demo.kitchen))
    assert len(photos) == 2
    assert {p.caption for p in photos} == {"灶台"}
    assert AuditEvent.objects.filter(action="space.photo_added").count() == 1
    with Image.open(photos[0].image.path) as img:
        assert img.format == "JPEG"
        assert max(img.size) == setup.PHOTO_MAX_SIDE
        assert not img.getexif()  # no camera, no GPS position
    # Shown on the space page to residents, served through a checked view.
    page = login(resident).get(reverse("spaces:space", args=[demo.kitchen.pk])).content.decode()
    src = reverse("spaces:photo", args=[demo.kitchen.pk, photos[0].pk])
    assert src in page
    served = login(resident).get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")
    assert login(make_user(Role.RESIDENT, tree.other_grid)).get(src).status_code == 404
    assert login(resident).get(reverse("spaces:photo", args=[demo.reading.pk, photos[0].pk])).status_code == 404
    # Residents cannot upload or remove.
    assert login(resident).post(
        reverse("spaces:photo_add", args=[demo.kitchen.pk]), {"photos": [photo()]}
    ).status_code in (403, 404)
    path = Path(photos[0].image.path)
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(reverse("spaces:photo_remove", args=[demo.kitchen.pk, photos[0].pk]))
    assert removed.status_code == 302
    assert not SpacePhoto.objects.filter(pk=photos[0].pk).exists()
    assert not path.exists()


def test_a_bad_photo_refuses_the_whole_upload(demo: Demo, staff: Any) -> None:
    before = state(demo.kitchen)
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    response = login(staff).post(reverse("spaces:photo_add", args=[demo.kitchen.pk]), {"photos": [photo(), fake]})
    assert response.status_code == 422
    assert "x.jpg is not a photo" in response.content.decode()
    assert state(demo.kitchen) == before
    empty = login(staff).post(reverse("spaces:photo_add", args=[demo.kitchen.pk]), {"caption": "x"})
    assert empty.status_code == 422
    assert "Choose at least one photo" in empty.content.decode()
    assert state(demo.kitchen) == before


def test_a_space_has_at_most_twelve_photos(demo: Demo, staff: Any) -> None:
    setup.space_photo_add(actor=staff, space=demo.kitchen, files=[photo(f"{n}.jpg", (20, 20)) for n in range(10)])
    response = login(staff).post(
        reverse("spaces:photo_add", args=[demo.kitchen.pk]),
        {"photos": [photo("x.jpg"), photo("y.jpg"), photo()]},
    )
    assert response.status_code == 422
    assert "at most 12 photos" in response.content.decode()
    assert SpacePhoto.objects.count() == 10


def test_an_existing_booking_is_kept_when_rules_change(demo: Demo, staff: Any, resident: Any) -> None:
    day = days_ahead(2)
    made = services.booking_create(
        actor=resident, space=demo.kitchen, starts_at=local(day, 10), ends_at=local(day, 11), title="x"
    ).bookings[0]
    setup.space_update(actor=staff, space=demo.kitchen, requires_approval=True, max_minutes=30)
    made.refresh_from_db()
    assert made.status == "confirmed"
    assert made.ends_at - made.starts_at == timedelta(hours=1)


# --- the API calls the same service ----------------------------------------------------------


def api_patch(client: Client, space: Space, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/spaces/{space.pk}", body, content_type="application/json")


def test_api_changes_rules_and_hours(demo: Demo, staff: Any) -> None:
    response = api_patch(
        login(staff),
        demo.kitchen,
        {
            "weekly_limit": 2,
            "requires_approval": True,
            "hours": [{"weekday": 5, "opens": "09:00", "closes": "17:00"}],
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["weekly_limit"] == 2
    assert response.json()["requires_approval"] is True
    assert list(OpeningHours.objects.filter(space=demo.kitchen).values_list("weekday", "opens", "closes")) == [
        (5, time(9), time(17))
    ]
    assert AuditEvent.objects.filter(action="space.updated").count() == 1


API_BAD = [
    ("null flag", {"requires_approval": None}, "requires_approval", "yes or no"),
    ("null number", {"capacity": None}, "capacity", "whole number"),
    ("negative", {"weekly_limit": -3}, "weekly_limit", "whole number"),
    ("reversed hours", {"hours": [{"weekday": 0, "opens": "18:00", "closes": "08:00"}]}, "hours", "ends before"),
    ("zoned hours", {"hours": [{"weekday": 0, "opens": "08:00+08:00", "closes": "18:00+08:00"}]}, "hours", "local"),
    ("no hours", {"hours": []}, "hours", "at least one weekday"),
    ("bad weekday", {"hours": [{"weekday": 7, "opens": "08:00", "closes": "18:00"}]}, "hours.0.weekday", ""),
    ("unknown kind", {"kind": "castle"}, "kind", ""),
]


@pytest.mark.parametrize(("case", "body", "field", "text"), API_BAD, ids=[c[0] for c in API_BAD])
def test_api_bad_edits_are_422_and_write_nothing(
    demo: Demo, staff: Any, case: str, body: dict[str, Any], field: str, text: str
) -> None:
    before = state(demo.kitchen)
    response = api_patch(login(staff), demo.kitchen, body)
    assert response.status_code == 422, response.json()
    details = response.json()["error"]["details"]
    assert any(d["field"] == field and text in d["message"] for d in details), details
    assert state(demo.kitchen) == before


def test_api_edit_is_for_staff_within_reach(demo: Demo, resident: Any, tree: Tree) -> None:
    assert api_patch(login(resident), demo.kitchen, {"capacity": 3}).status_code == 403
    other = make_user(Role.COMMUNITY_WORKER, tree.other_community)
    assert api_patch(login(other), demo.kitchen, {"capacity": 3}).status_code == 404
