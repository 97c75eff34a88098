"""Monthly partitions of the inbox's messages on PostgreSQL (``core.partitions``), by the time sent. PostgreSQL
cannot point a foreign key at a partitioned table whose key includes the time, so the email and SMS outbox rows
keep their ``message`` column without a database constraint (Django still cascades the delete). SQLite keeps its
plain table (and loses the two constraints alike, so both engines behave the same)."""

import django.db.models.deletion
from django.db import migrations, models

from anju.core import partitions


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    partitions.partition_table(schema_editor, "inbox_message", "created_at")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    partitions.unpartition_table(schema_editor, "inbox_message")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0003_sms_codes")]

    operations = [
        migrations.AlterField(
            model_name="outbox",
            name="message",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox",
                to="inbox.message",
            ),
        ),
        migrations.AlterField(
            model_name="smsoutbox",
            name="message",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="inbox.message",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
