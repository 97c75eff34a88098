"""The database half of the no-double-booking invariant (DESIGN.md rule 4).

PostgreSQL: an exclusion constraint forbids two active occupancy rows of one
space whose time ranges overlap (half-open ranges, so back-to-back bookings are
fine). It needs btree_gist for the ``space_id WITH =`` part; creating the
extension needs a role allowed to (the superuser, or CREATE on the database
with PostgreSQL 13+ trusted extensions).

SQLite has no such constraint: there the services check and insert inside one
IMMEDIATE transaction, which takes the database's write lock at BEGIN.
"""

from django.db import migrations

CONSTRAINT = "spaces_occupancy_no_overlap"


def create_constraint(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist;")
    schema_editor.execute(
        f"ALTER TABLE spaces_occupancy ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(space_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (active);"
    )


def drop_constraint(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE spaces_occupancy DROP CONSTRAINT IF EXISTS {CONSTRAINT};")


class Migration(migrations.Migration):
    dependencies = [("spaces", "0002_booking_rules_and_bookings")]
    operations = [migrations.RunPython(create_constraint, drop_constraint)]
