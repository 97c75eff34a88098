"""Read-only admin registrations of contributions."""

from django.contrib import admin

from anju.contributions.models import Contribution, MoneyEntry, Project
from anju.core.admin import ReadOnlyAdmin


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "community", "status", "balance_fen"]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ["receipt_no", "project", "kind", "quantity", "unit", "day"]


@admin.register(MoneyEntry)
class MoneyEntryAdmin(ReadOnlyAdmin):
    list_display = ["project", "type", "amount_fen", "day", "needs_approval"]
