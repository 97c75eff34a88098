from django.urls import path

from anju.spaces import views

app_name = "spaces"
urlpatterns = [
    path("", views.station_list, name="stations"),
    path("<int:station_id>/day/", views.station_day, name="station_day"),
    path("spaces/<int:space_id>/", views.space_detail, name="space"),
    path("spaces/<int:space_id>/book/", views.space_book, name="book"),
    path("spaces/<int:space_id>/close/", views.space_close, name="close"),
    path("spaces/<int:space_id>/edit/", views.space_edit, name="edit"),
    path("spaces/<int:space_id>/photos/", views.space_photo_add, name="photo_add"),
    path("spaces/<int:space_id>/photos/<int:photo_id>/", views.space_photo, name="photo"),
    path("spaces/<int:space_id>/photos/<int:photo_id>/remove/", views.space_photo_remove, name="photo_remove"),
    path("spaces/<int:space_id>/closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("spaces/<int:space_id>/calendar.ics", views.space_feed, name="space_feed"),
    path("my/", views.my_bookings, name="mine"),
    path("my/feed/reset/", views.feed_reset, name="feed_reset"),
    path("approvals/", views.approvals, name="approvals"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
    path("bookings/<int:booking_id>/confirm/", views.booking_confirm, name="confirm"),
    path("bookings/<int:booking_id>/reject/", views.booking_reject, name="reject"),
    path("bookings/<int:booking_id>/checkin/", views.booking_check_in, name="checkin"),
    path("bookings/<int:booking_id>/claim/", views.booking_claim, name="claim"),
    path("series/<int:series_id>/reconfirm/", views.series_reconfirm, name="reconfirm"),
    path("series/<int:series_id>/cancel/", views.series_cancel, name="series_cancel"),
    path("checkin/<str:token>/", views.qr_check_in, name="qr_checkin"),
    path("feed/<str:token>/mine.ics", views.user_feed, name="user_feed"),
    path("feed/<str:token>/spaces/<int:space_id>.ics", views.token_space_feed, name="token_space_feed"),
]
