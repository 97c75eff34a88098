"""Triggers that refuse UPDATE and DELETE on the contributions ledger (contributions, money entries,
approvals): a correction is a reversing entry (core.appendonly)."""

from typing import Any

from django.db import migrations

from anju.core import appendonly

TABLES = ["contributions_contribution", "contributions_moneyentry", "contributions_approval"]
FUNCTION = "anju_contributions_append_only"


def create_triggers(apps: Any, schema_editor: Any) -> None:
    appendonly.create(schema_editor, TABLES, function=FUNCTION)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    appendonly.drop(schema_editor, TABLES, function=FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
