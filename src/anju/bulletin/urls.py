from django.urls import path

from anju.bulletin import views

app_name = "bulletin"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_new, name="new"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>/edit/", views.notice_edit, name="edit"),
    path("<int:notice_id>/cover/", views.notice_cover, name="cover"),
    path("<int:notice_id>/cover/thumb/", views.notice_cover, {"size": "thumb"}, name="cover_thumb"),
    path("<int:notice_id>/photos/<int:photo_id>/", views.notice_photo, name="photo"),
    path("<int:notice_id>/photos/<int:photo_id>/thumb/", views.notice_photo, {"size": "thumb"}, name="photo_thumb"),
    path("activities/<int:activity_id>/summary/", views.activity_summary, name="summary"),
]
