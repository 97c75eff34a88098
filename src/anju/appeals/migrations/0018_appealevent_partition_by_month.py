"""Monthly partitions of the appeals' event history on PostgreSQL (``core.partitions``), by the event's time.
SQLite keeps its plain table."""

from django.db import migrations

from anju.core import partitions


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    partitions.partition_table(schema_editor, "appeals_appealevent", "at")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    partitions.unpartition_table(schema_editor, "appeals_appealevent")


class Migration(migrations.Migration):
    dependencies = [("appeals", "0017_summons_escalation")]
    operations = [migrations.RunPython(forwards, backwards)]
