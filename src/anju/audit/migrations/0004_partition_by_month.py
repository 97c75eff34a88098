"""Monthly partitions for the audit trail and the personal-data access log on PostgreSQL (``core.partitions``);
the append-only triggers are kept on the partitioned tables. SQLite keeps its plain tables."""

from django.db import migrations

from anju.core import partitions

TABLES = [("audit_auditevent", "created_at"), ("audit_piiaccess", "created_at")]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for table, column in TABLES:
        partitions.partition_table(schema_editor, table, column)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for table, _column in TABLES:
        partitions.unpartition_table(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_pii_access_purpose")]
    operations = [migrations.RunPython(forwards, backwards)]
