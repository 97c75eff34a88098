from django.contrib import admin

from anju.accounts.models import RoleGrant, User
from anju.core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    exclude = ["password", "mobile_sealed", "mobile_index", "email_sealed"]


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "unit", "department"]
    list_filter = ["role"]
