"""Writes to the appeal categories renew the reference-data stamp (anju.core.stamp): processes keep what they derive from
them (grants, reach, filter choices) only until it changes."""

from django.db import migrations

from anju.core import stamp

TABLES = ['appeals_category']


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("appeals", "0021_community_category_received_index"),
    ]

    operations = [stamp.triggers(TABLES)]
