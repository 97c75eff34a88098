"""The core app's one table: the reference-data stamp (:mod:`anju.core.stamp`)."""

from __future__ import annotations

from django.db import models


class Stamp(models.Model):
    """One row (id 1) whose token database triggers replace whenever a row of a reference table (role grants,
    the org tree, departments, categories) is written, in the writing transaction itself. What a process derives
    from those tables is kept under the token it read first (:func:`anju.core.stamp.remember`)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        db_table = "core_stamp"
        default_permissions = ()

    def __str__(self) -> str:
        return self.token
