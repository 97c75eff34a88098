"""The official holiday schedule moved to the ``calendar`` app (issue 11): its rows are copied into the
calendar's tables, then appeals' tables are dropped. Reversible: going back recreates appeals' tables and
copies the rows back. Ids are not kept (nothing refers to these rows);
rows are matched by date and by year."""

from django.db import migrations

DAY_FIELDS = ("date", "kind", "name")
YEAR_FIELDS = (
    "year",
    "entered_at",
    "revision",
    "recompute_queued_at",
    "recomputed_revision",
    "recompute_finished_at",
    "recomputed_count",
)


def _copy(apps, source, target):
    """Every row of ``source``'s two tables into ``target``'s, keyed by date and by year, so running it again
    (after going back and forth) updates instead of duplicating."""
    for model, key, fields in (("HolidayDate", "date", DAY_FIELDS), ("HolidayYear", "year", YEAR_FIELDS)):
        old = apps.get_model(source, model)
        new = apps.get_model(target, model)
        for row in old.objects.order_by("pk"):
            values = {f: getattr(row, f) for f in fields if f != key}
            copied, _created = new.objects.update_or_create(**{key: getattr(row, key)}, defaults=values)
            if model == "HolidayYear":  # auto_now_add set it on create: put the original time back
                new.objects.filter(pk=copied.pk).update(entered_at=row.entered_at)


def forwards(apps, schema_editor):
    _copy(apps, "appeals", "calendar")


def backwards(apps, schema_editor):
    _copy(apps, "calendar", "appeals")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0011_summons_arrival_method"),
        ("calendar", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="HolidayDate"),
        migrations.DeleteModel(name="HolidayYear"),
    ]
