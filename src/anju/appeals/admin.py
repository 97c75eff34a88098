"""Read-only admin of the appeals catalogue (``core.admin.ReadOnlyAdmin``: every change goes through a service).

Appeals themselves, their events, callbacks and summons are not listed: their text, address and contacts are
personal data that only the pages show, masked, and reveal with an access-log row (DESIGN.md rule 3)."""

from django.contrib import admin

from anju.appeals.models import Category, CategoryRoute, SatisfactionLevel, SlaPolicy
from anju.core.admin import ReadOnlyAdmin


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "group", "default_urgency", "is_active"]
    list_filter = ["is_active", "group"]


@admin.register(CategoryRoute)
class CategoryRouteAdmin(ReadOnlyAdmin):
    list_display = ["category", "unit", "department"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnlyAdmin):
    list_display = ["category", "urgency", "complex", "dispatch_value", "dispatch_unit"]


@admin.register(SatisfactionLevel)
class SatisfactionLevelAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "counts_as_satisfied", "sort_order"]
