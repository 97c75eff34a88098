from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.inbox.models import Message, Outbox


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient",)


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "message", "state", "attempts", "next_attempt_at")
    list_filter = ("state",)
