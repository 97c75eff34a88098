from django.urls import path

from anju.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:message_id>/read/", views.mark_read, name="read"),
    path("<int:message_id>/open/", views.open_message, name="open"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
