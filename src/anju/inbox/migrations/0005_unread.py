"""The unread messages' own table for the header badge on PostgreSQL (``inbox.models.Unread``), kept by a row
trigger on the partitioned ``inbox_message`` (cloned to every month's partition, and to those made later) and
filled from the messages unread now. On SQLite the table is made and stays empty: the badge reads the messages."""

from django.db import migrations, models

FUNCTION = """
CREATE FUNCTION inbox_unread_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM inbox_unread WHERE message_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.read_at IS NULL THEN
        -- ON CONFLICT: a row moved between partitions (core.partitions moves a month out of the default one) is
        -- inserted again before its old copy goes.
        INSERT INTO inbox_unread (message_id, recipient_id, thread_key, visible_at)
        VALUES (NEW.id, NEW.recipient_id, NEW.thread_key, NEW.visible_at)
        ON CONFLICT (message_id) DO UPDATE
        SET recipient_id = EXCLUDED.recipient_id, thread_key = EXCLUDED.thread_key, visible_at = EXCLUDED.visible_at;
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE TRIGGER inbox_unread_sync
AFTER INSERT OR UPDATE OF read_at, recipient_id, thread_key, visible_at OR DELETE ON inbox_message
FOR EACH ROW EXECUTE FUNCTION inbox_unread_sync()
"""

FILL = """
INSERT INTO inbox_unread (message_id, recipient_id, thread_key, visible_at)
SELECT id, recipient_id, thread_key, visible_at FROM inbox_message WHERE read_at IS NULL
ON CONFLICT (message_id) DO NOTHING
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (FUNCTION, TRIGGER, FILL):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS inbox_unread_sync ON inbox_message")
    schema_editor.execute("DROP FUNCTION IF EXISTS inbox_unread_sync()")


class Migration(migrations.Migration):
    dependencies = [("inbox", "0004_message_partition_by_month")]

    operations = [
        migrations.CreateModel(
            name="Unread",
            fields=[
                ("message_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("recipient_id", models.BigIntegerField()),
                ("thread_key", models.CharField(max_length=120)),
                ("visible_at", models.DateTimeField()),
            ],
            options={
                "db_table": "inbox_unread",
                "indexes": [models.Index(fields=["recipient_id", "visible_at"], name="inbox_unread_badge_idx")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
