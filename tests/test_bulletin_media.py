"""Notice covers and after-activity summaries: real images only (size capped, EXIF stripped), shown as a
thumbnail in the list and in full on the notice; staff edit notices; a finished activity gets one summary
with photos, linked both ways."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image

from anju.audit.models import AuditEvent
from anju.bulletin import services
from anju.bulletin.models import Notice, NoticePhoto
from anju.testing.activities import ActivityWorld, make_activity, make_past_activity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]


def photo(name: str = "photo.jpg", size: tuple[int, int] = (2000, 1500), color: str = "orange") -> SimpleUploadedFile:
    """A JPEG carrying EXIF (camera make and a GPS block), as phones upload them."""
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 27.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def not_an_image(name: str = "virus.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is not a picture", content_type="image/jpeg")


def _image(response: Any) -> Image.Image:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    data = b"".join(response.streaming_content)  # read to the end: the test client then closes the file
    return Image.open(io.BytesIO(data))


def _status(client: Client, url: str) -> int:
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end: the test client then closes the file
    return int(response.status_code)


def _post_notice(client: Client, **extra: Any) -> Any:
    data = {"title": "冬季用电安全提醒", "category": "safety", "body": "<p>请勿私拉电线。</p>", "audience": "community"}
    return client.post("/notices/new/", data | extra)


def test_cover_is_cleaned_and_shown_as_thumbnail_and_in_full(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    worker = client_for(activity_world.users["worker"])
    response = _post_notice(worker, cover=photo())
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert notice.cover
    assert notice.cover_thumb
    resident = client_for(activity_world.users["resident"])
    listing = resident.get("/notices/").content.decode()
    assert f'src="/notices/{notice.pk}/cover/thumb/"' in listing
    detail = resident.get(f"/notices/{notice.pk}/").content.decode()
    assert f'id="notice-cover" src="/notices/{notice.pk}/cover/"' in detail
    full = _image(resident.get(f"/notices/{notice.pk}/cover/"))
    assert max(full.size) == services.IMAGE_MAX_SIDE  # shrunk from 2000 px
    assert not full.getexif()  # camera and GPS data gone
    thumb = _image(resident.get(f"/notices/{notice.pk}/cover/thumb/"))
    assert max(thumb.size) == services.THUMB_MAX_SIDE
    assert not thumb.getexif()
    # Outside the community: not found, image included.
    other = client_for(activity_world.users["other_worker"])
    assert other.get(f"/notices/{notice.pk}/cover/").status_code == 404
    # A notice without a cover has no image.
    bare = services.notice_create(
        actor=activity_world.users["worker"], community=activity_world.tree.community, title="无图", body="<p>文字</p>"
    )
    assert resident.get(f"/notices/{bare.pk}/cover/").status_code == 404


def test_a_cover_that_is_not_an_image_or_too_big_is_refused(
    activity_world: ActivityWorld, client_for: Callable[..., Client], settings: Any
) -> None:
    worker = client_for(activity_world.users["worker"])
    audit_before = AuditEvent.objects.count()
    response = _post_notice(worker, cover=not_an_image())
    assert response.status_code == 200
    assert "virus.jpg" in response.content.decode()  # named in the error (in the user's language)
    assert "has-error" in response.content.decode()
    settings.ANJU_NOTICE_IMAGE_MAX_BYTES = 1024
    response = _post_notice(worker, cover=photo("big.jpg"))
    assert response.status_code == 200
    assert "big.jpg" in response.content.decode()
    assert "has-error" in response.content.decode()
    assert Notice.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_staff_edit_a_notice_and_its_cover_keeping_the_read_count(
    activity_world: ActivityWorld, client_for: Callable[..., Client], django_capture_on_commit_callbacks: Any
) -> None:
    worker = client_for(activity_world.users["worker"])
    _post_notice(worker, cover=photo(color="red"))
    notice = Notice.objects.get()
    client_for(activity_world.users["resident"]).get(f"/notices/{notice.pk}/")
    old_cover = notice.cover.name
    page = worker.get(f"/notices/{notice.pk}/edit/")
    assert page.status_code == 200
    assert "冬季用电安全提醒" in page.content.decode()
    later = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        response = worker.post(
            f"/notices/{notice.pk}/edit/",
            {
                "title": "冬季用电安全提醒（更新）",
                "category": "notice",
                "body": '<p onclick="x()">更新</p><iframe src="https://evil.example.com/"></iframe>',
                "audience": "tag",
                "tag": activity_world.tags["老人"].pk,
                "pinned": "on",
                "expires_at": later,
                "cover": photo(color="blue"),
            },
        )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.title == "冬季用电安全提醒（更新）"
    assert notice.pinned
    assert notice.audience == "tag"
    assert notice.tag == activity_world.tags["老人"]
    assert notice.body == "<p>更新</p>"
    assert notice.read_count == 1
    assert notice.cover.name != old_cover
    assert not notice.cover.storage.exists(old_cover)  # the replaced file is gone
    assert AuditEvent.objects.filter(action="notice.changed", object_id=str(notice.pk)).count() == 1
    # The young resident is not in the audience any more.
    assert client_for(activity_world.users["young"]).get(f"/notices/{notice.pk}/").status_code == 404
    # Remove the cover; bad input changes nothing.
    data = {"title": "t", "category": "notice", "body": "<p>x</p>", "audience": "community", "remove_cover": "on"}
    assert worker.post(f"/notices/{notice.pk}/edit/", data).status_code == 302
    notice.refresh_from_db()
    assert not notice.cover
    assert not notice.cover_thumb
    bad = worker.post(f"/notices/{notice.pk}/edit/", data | {"title": "坏", "cover": not_an_image()})
    assert bad.status_code == 200
    notice.refresh_from_db()
    assert notice.title == "t"
    # Residents may not edit; another community's staff do not find it.
    assert client_for(activity_world.users["resident"]).get(f"/notices/{notice.pk}/edit/").status_code == 403
    assert client_for(activity_world.users["other_worker"]).get(f"/notices/{notice.pk}/edit/").status_code == 404


def test_staff_see_scheduled_and_expired_notices_to_edit(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    now = timezone.now()
    actor, community = activity_world.users["worker"], activity_world.tree.community
    later = services.notice_create(actor=actor, community=community, title="下周停水", body="<p>x</p>",
                                   publish_at=now + timedelta(days=3))  # fmt: skip
    gone = services.notice_create(actor=actor, community=community, title="旧通知", body="<p>x</p>",
                                  publish_at=now - timedelta(days=5), expires_at=now - timedelta(days=1))  # fmt: skip
    staff_page = client_for(actor).get("/notices/").content.decode()
    off = staff_page[staff_page.index('id="off-board"') :]
    assert f"/notices/{later.pk}/edit/" in off
    assert f"/notices/{gone.pk}/edit/" in off
    # The edit page shows a scheduled notice's cover to staff; readers cannot fetch it before it is out.
    services.notice_update(
        actor=actor, notice=later, title=later.title, body=later.body, category="notice", cover=photo(size=(300, 200))
    )
    assert _status(client_for(actor), f"/notices/{later.pk}/cover/thumb/") == 200
    assert f"/notices/{later.pk}/cover/thumb/" in client_for(actor).get(f"/notices/{later.pk}/edit/").content.decode()
    assert client_for(activity_world.users["resident"]).get(f"/notices/{later.pk}/cover/thumb/").status_code == 404
    resident_page = client_for(activity_world.users["resident"]).get("/notices/").content.decode()
    assert "下周停水" not in resident_page
    assert "旧通知" not in resident_page
    assert 'id="off-board"' not in resident_page


def test_notice_list_queries_do_not_grow_with_covers(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    worker = client_for(activity_world.users["worker"])
    resident = client_for(activity_world.users["resident"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert resident.get("/notices/").status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        _post_notice(worker, title=f"通知{n}", cover=photo(size=(200, 150)))
    queries()  # the first request fills the shared session and user cache
    few = queries()
    for n in range(2, 6):
        _post_notice(worker, title=f"通知{n}", cover=photo(size=(200, 150)))
    assert queries() == few


# --- after-activity summary ------------------------------------------------------------------------------------


def test_summary_with_photos_is_published_and_linked_both_ways(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    activity = make_past_activity(activity_world)
    worker = client_for(activity_world.users["worker"])
    before = worker.get(f"/activities/{activity.pk}/").content.decode()
    assert f'href="/notices/activities/{activity.pk}/summary/"' in before
    form = worker.get(f"/notices/activities/{activity.pk}/summary/")
    assert form.status_code == 200
    assert "平安宣传进小区" in form.content.decode()
    response = worker.post(
        f"/notices/activities/{activity.pk}/summary/",
        {
            "title": "平安宣传进小区：活动回顾",
            "body": "<p>民警讲解防诈骗知识。</p><script>alert(1)</script>",
            "photos": [photo("a.jpg", color="red"), photo("b.png", color="green"), photo("c.jpg", color="blue")],
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(activity=activity)
    assert response["Location"] == f"/notices/{notice.pk}/"
    assert notice.category == Notice.Category.ACTIVITY
    assert notice.body == "<p>民警讲解防诈骗知识。</p>"
    assert notice.cover
    assert notice.cover_thumb
    photos = list(NoticePhoto.objects.filter(notice=notice))
    assert [p.position for p in photos] == [0, 1, 2]
    assert AuditEvent.objects.filter(action="notice.summary_published").count() == 1
    resident = client_for(activity_world.users["resident"])
    board = resident.get("/notices/").content.decode()
    assert "平安宣传进小区：活动回顾" in board
    detail = resident.get(f"/notices/{notice.pk}/").content.decode()
    assert f'href="/activities/{activity.pk}/"' in detail
    grid = detail[detail.index('id="notice-photos"') :]
    for p in photos:
        assert f"/notices/{notice.pk}/photos/{p.pk}/thumb/" in grid
    img = _image(resident.get(f"/notices/{notice.pk}/photos/{photos[1].pk}/"))
    assert img.size == (services.IMAGE_MAX_SIDE, 1200)
    assert not img.getexif()
    assert resident.get(f"/notices/{notice.pk}/photos/999999/").status_code == 404
    assert (
        client_for(activity_world.users["other_worker"]).get(f"/notices/{notice.pk}/photos/{photos[0].pk}/").status_code
        == 404
    )
    # The activity page links to the summary for residents too; staff no longer get the publish button.
    page = resident.get(f"/activities/{activity.pk}/").content.decode()
    assert f'href="/notices/{notice.pk}/"' in page[page.index('id="activity-summary"') :]
    staff_page = worker.get(f"/activities/{activity.pk}/").content.decode()
    assert "/summary/" not in staff_page
    # A second summary page visit goes to the one published.
    again = worker.get(f"/notices/activities/{activity.pk}/summary/")
    assert again.status_code == 302
    assert again["Location"] == f"/notices/{notice.pk}/"


def test_summary_bad_input_changes_nothing(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = make_past_activity(activity_world)
    actor = activity_world.users["worker"]
    kw: dict[str, Any] = {"actor": actor, "activity": activity, "title": "回顾", "body": "<p>很好</p>"}
    with pytest.raises(ValidationError) as exc:
        services.activity_summary_publish(**kw, photos=[])
    assert "photos" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.activity_summary_publish(**kw, photos=[photo(), not_an_image()])
    assert exc.value.message_dict["photos"] == ["virus.jpg is not a photo (JPEG, PNG, WebP or GIF)."]
    with pytest.raises(ValidationError):
        services.activity_summary_publish(**kw, photos=[photo(size=(10, 10)) for _ in range(10)])
    upcoming = make_activity(activity_world)
    with pytest.raises(ValidationError) as exc:
        services.activity_summary_publish(**(kw | {"activity": upcoming}), photos=[photo()])
    assert "has not finished yet" in exc.value.messages[0]
    assert Notice.objects.count() == 0
    assert NoticePhoto.objects.count() == 0
    assert not AuditEvent.objects.filter(action="notice.summary_published").exists()
    # The page shows the error and no 500.
    worker = client_for(actor)
    response = worker.post(f"/notices/activities/{activity.pk}/summary/", {"title": "回顾", "body": "<p>x</p>"})
    assert response.status_code == 200
    assert "has-error" in response.content.decode()
    # One summary per activity.
    translation.activate("en")  # the page request above left this thread in the worker's language (zh-Hans)
    services.activity_summary_publish(**kw, photos=[photo()])
    with pytest.raises(ValidationError) as exc:
        services.activity_summary_publish(**kw, photos=[photo()])
    assert exc.value.messages == ["This activity already has a summary."]
    assert Notice.objects.count() == 1
    # Residents cannot publish; another community's staff do not find the activity.
    assert (
        client_for(activity_world.users["resident"]).get(f"/notices/activities/{activity.pk}/summary/").status_code
        == 403
    )
    other = client_for(activity_world.users["other_worker"])
    assert other.get(f"/notices/activities/{activity.pk}/summary/").status_code == 404
