"""Django's admin is a read-only window here: every change goes through a
service so that it is validated and audited (DESIGN.md rule 2)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _login_through_anju(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through Anju's own throttled, audited login page."""
    return redirect_to_login(request.GET.get("next", "/admin/"))


admin.site.login = _login_through_anju  # type: ignore[method-assign]
admin.site.disable_action("delete_selected")
