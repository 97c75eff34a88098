from django.contrib import admin

from anju.bulletin.models import Notice, NoticePhoto
from anju.core.admin import ReadOnlyAdmin


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "category", "pinned", "publish_at", "read_count"]
    list_filter = ["category", "pinned", "audience"]


@admin.register(NoticePhoto)
class NoticePhotoAdmin(ReadOnlyAdmin):
    list_display = ["notice", "position", "width", "height", "created_at"]
