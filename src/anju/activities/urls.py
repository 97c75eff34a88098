from django.urls import path

from anju.activities import printing, views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("sessions/<int:session_id>/register/", views.session_register, name="register"),
    path("sessions/<int:session_id>/roster/", views.session_roster, name="roster"),
    path("sessions/<int:session_id>/roster/print/", printing.roster_print, name="roster_print"),
    path("sessions/<int:session_id>/signin-sheet/", printing.signin_sheet, name="signin_sheet"),
    path("registrations/<int:registration_id>/cancel/", views.registration_cancel, name="cancel"),
    path("registrations/<int:registration_id>/accept/", views.registration_accept, name="accept"),
    path("registrations/<int:registration_id>/pass/", views.registration_pass, name="pass"),
    path("registrations/<int:registration_id>/tick/", views.registration_tick, name="tick"),
    path("registrations/<int:registration_id>/checkout/", views.registration_checkout, name="checkout"),
    path("sessions/<int:session_id>/door/", views.session_door, name="door"),
    path("sessions/<int:session_id>/walk-in/", views.session_walk_in, name="walk_in"),
    path("<int:activity_id>/attendance/", views.activity_attendance, name="attendance"),
    path("new/", views.activity_new, name="new"),
    path("<int:activity_id>/edit/", views.activity_edit, name="edit"),
    path("<int:activity_id>/cancel/", views.activity_cancel, name="cancel_activity"),
    path("<int:activity_id>/poster/", views.activity_poster, name="poster"),
    path("<int:activity_id>/helpers/", views.activity_helpers, name="helpers"),
    path("helpers/<int:helper_id>/remove/", views.helper_remove, name="helper_remove"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="cancel_session"),
]
