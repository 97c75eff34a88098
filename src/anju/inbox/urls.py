from django.urls import path

from anju.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("settings/", views.notice_settings, name="settings"),
    path("<int:message_id>/", views.thread, name="thread"),
    path("<int:message_id>/read/", views.mark_read, name="read"),
    path("<int:message_id>/read-thread/", views.mark_thread_read, name="read_thread"),
    path("<int:message_id>/open/", views.open_message, name="open"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
