from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.duty.models import Assignment, HoursEntry, Roster, ShiftTemplate, Volunteer


@admin.register(ShiftTemplate)
class ShiftTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "station", "starts", "ends", "seats", "days"]


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ["name", "community", "kind", "monthly_max", "is_active"]


@admin.register(Roster)
class RosterAdmin(ReadOnlyAdmin):
    list_display = ["station", "month", "status", "holes"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["shift", "seat", "volunteer", "status", "source"]
    list_filter = ["status"]


@admin.register(HoursEntry)
class HoursEntryAdmin(ReadOnlyAdmin):
    list_display = ["volunteer", "day", "source", "hours"]
