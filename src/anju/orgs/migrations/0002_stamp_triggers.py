"""Writes to the org tree and the departments renew the reference-data stamp (anju.core.stamp): processes keep what they derive from
them (grants, reach, filter choices) only until it changes."""

from django.db import migrations

from anju.core import stamp

TABLES = ['orgs_orgunit', 'orgs_department']


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("orgs", "0001_initial"),
    ]

    operations = [stamp.triggers(TABLES)]
