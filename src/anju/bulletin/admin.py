from django.contrib import admin

from anju.bulletin.models import Notice
from anju.core.admin import ReadOnlyAdmin


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "category", "pinned", "publish_at", "read_count"]
    list_filter = ["category", "pinned", "audience"]
