from django.contrib import admin

from anju.activities.models import Activity, Registration, Session
from anju.core.admin import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "category", "capacity", "status"]
    list_filter = ["category", "status"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["activity", "starts_at", "capacity", "taken"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["session", "status", "created_at", "checked_in_at"]
    list_filter = ["status"]
