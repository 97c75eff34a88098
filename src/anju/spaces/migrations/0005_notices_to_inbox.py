"""Copy booking notices into the shared inbox (``inbox.Message``); the next migration drops ``Notice``."""

from zoneinfo import ZoneInfo

from django.db import migrations

BOOKING_KINDS = {
    "confirmed": "spaces.booking_confirmed",
    "rejected": "spaces.booking_rejected",
    "cancelled": "spaces.booking_cancelled",
    "released": "spaces.booking_released",
}
SERIES_KINDS = {
    "cancelled": "spaces.series_cancelled",
    "reconfirm": "spaces.series_reconfirm",
    "lapsed": "spaces.series_lapsed",
}
ZONE = ZoneInfo("Asia/Shanghai")


def forwards(apps, schema_editor):
    Notice = apps.get_model("spaces", "Notice")
    Message = apps.get_model("inbox", "Message")
    batch = []
    for n in Notice.objects.select_related("booking__space", "series__space").order_by("id").iterator():
        if n.booking_id:
            kind = BOOKING_KINDS.get(n.kind, f"spaces.booking_{n.kind}")
            params = {
                "booking": n.booking_id,
                "space": n.booking.space.name,
                "when": n.booking.starts_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M"),
            }
            url = f"/station/bookings/{n.booking_id}/"
        elif n.series_id:
            kind = SERIES_KINDS.get(n.kind, f"spaces.series_{n.kind}")
            params = {"series": n.series_id, "space": n.series.space.name, "title": n.series.title}
            url = "/station/my/"
        else:
            continue
        if n.reason:
            params["note"] = n.reason
        # The old notices were already shown on "My bookings": they arrive read, not as a burst of badges.
        batch.append(
            Message(
                community_id=n.community_id,
                recipient_id=n.recipient_id,
                kind=kind,
                params=params,
                url=url,
                created_at=n.created_at,
                read_at=n.created_at,
            )
        )
        if len(batch) >= 500:
            Message.objects.bulk_create(batch)
            batch = []
    if batch:
        Message.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    Message = apps.get_model("inbox", "Message")
    Message.objects.filter(kind__startswith="spaces.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0004_booking_household_space_photos"),
        ("inbox", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
