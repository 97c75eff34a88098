from django.contrib import admin

from anju.audit.models import AuditEvent
from anju.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id", "ip"]
    list_filter = ["action"]
