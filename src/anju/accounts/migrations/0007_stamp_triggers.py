"""Writes to role grants renew the reference-data stamp (anju.core.stamp): processes keep what they derive from
them (grants, reach, filter choices) only until it changes."""

from django.db import migrations

from anju.core import stamp

TABLES = ['accounts_rolegrant']


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0006_sign_in_codes"),
    ]

    operations = [stamp.triggers(TABLES)]
