from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin
from anju.inbox.models import DigestRun, Message, NoticeSetting, Outbox, SmsOutbox


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient",)


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "message", "state", "attempts", "next_attempt_at")
    list_filter = ("state",)


@admin.register(SmsOutbox)
class SmsOutboxAdmin(ReadOnlyAdmin):
    """What went out by SMS: template, state and the provider's answer; never the number."""

    list_display = ("created_at", "kind", "template_code", "state", "attempts", "next_attempt_at", "last_error")
    list_filter = ("state", "kind")
    exclude = ("recipient",)


@admin.register(NoticeSetting)
class NoticeSettingAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "channel", "mode", "updated_at")
    list_filter = ("channel", "mode")
    raw_id_fields = ("user",)


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ("day", "user", "threads", "created_at")
    raw_id_fields = ("user",)
