from django.urls import path

from anju.spaces.views import bookings, feeds, setup, stations

app_name = "spaces"
urlpatterns = [
    path("", stations.station_list, name="stations"),
    path("<int:station_id>/day/", stations.station_day, name="station_day"),
    path("<int:station_id>/day/print/", stations.station_day_print, name="station_day_print"),
    path("spaces/<int:space_id>/", stations.space_detail, name="space"),
    path("spaces/<int:space_id>/book/", stations.space_book, name="book"),
    path("spaces/<int:space_id>/close/", stations.space_close, name="close"),
    path("spaces/<int:space_id>/edit/", setup.space_edit, name="edit"),
    path("spaces/<int:space_id>/photos/", setup.space_photo_add, name="photo_add"),
    path("spaces/<int:space_id>/photos/<int:photo_id>/", setup.space_photo, name="photo"),
    path("spaces/<int:space_id>/photos/<int:photo_id>/remove/", setup.space_photo_remove, name="photo_remove"),
    path("spaces/<int:space_id>/closures/<int:closure_id>/remove/", setup.closure_remove, name="closure_remove"),
    path("spaces/<int:space_id>/calendar.ics", feeds.space_feed, name="space_feed"),
    path("my/", bookings.my_bookings, name="mine"),
    path("my/feed/reset/", bookings.feed_reset, name="feed_reset"),
    path("approvals/", bookings.approvals, name="approvals"),
    path("bookings/<int:booking_id>/", bookings.booking_detail, name="booking"),
    path("bookings/<int:booking_id>/cancel/", bookings.booking_cancel, name="cancel"),
    path("bookings/<int:booking_id>/confirm/", bookings.booking_confirm, name="confirm"),
    path("bookings/<int:booking_id>/reject/", bookings.booking_reject, name="reject"),
    path("bookings/<int:booking_id>/checkin/", bookings.booking_check_in, name="checkin"),
    path("bookings/<int:booking_id>/claim/", bookings.booking_claim, name="claim"),
    path("series/<int:series_id>/reconfirm/", bookings.series_reconfirm, name="reconfirm"),
    path("series/<int:series_id>/cancel/", bookings.series_cancel, name="series_cancel"),
    path("checkin/<str:token>/", bookings.qr_check_in, name="qr_checkin"),
    path("feed/<str:token>/mine.ics", feeds.user_feed, name="user_feed"),
    path("feed/<str:token>/spaces/<int:space_id>.ics", feeds.token_space_feed, name="token_space_feed"),
]
