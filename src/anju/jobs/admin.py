from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.jobs.models import Job, PeriodicTask


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "attempts", "run_at"]
    list_filter = ["status", "name"]


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(ReadOnlyAdmin):
    list_display = ["name", "interval_seconds", "last_run_at", "last_status", "next_run_at"]
