from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.orgs.models import Department, OrgUnit, TaskForce


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "code", "depth", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "unit", "is_active"]
    list_filter = ["kind"]


@admin.register(TaskForce)
class TaskForceAdmin(ReadOnlyAdmin):
    list_display = ["name", "community"]
