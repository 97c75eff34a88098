from django.contrib import admin

from anju.calendar.models import HolidayDate, HolidayYear
from anju.core.admin import ReadOnlyAdmin


@admin.register(HolidayDate)
class HolidayDateAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]


@admin.register(HolidayYear)
class HolidayYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "entered_at", "revision", "recomputed_revision", "recomputed_count"]
