"""The purpose of a reveal (audit.reasons.Purpose), beside its reason.

On SQLite adding a column with a default rebuilds the table, which drops its append-only triggers:
they are made again (PostgreSQL adds the column in place and keeps them)."""

from typing import Any

from django.db import migrations, models

TABLE = "audit_piiaccess"


def sqlite_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for op in ("UPDATE", "DELETE"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{op.lower()};")
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="piiaccess",
            name="purpose",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="purpose"),
        ),
        migrations.RunPython(sqlite_triggers, sqlite_triggers),
    ]
