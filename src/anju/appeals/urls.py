from django.urls import path

from anju.appeals import views

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new/", views.appeal_new, name="new"),
    path("report/", views.appeal_report, name="report"),
    path("rates/", views.rates, name="rates"),
    path("inbox/", views.inbox, name="inbox"),
    path("holidays/", views.holidays, name="holidays"),
    path("checkin/<str:token>/", views.checkin_qr, name="checkin_qr"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/act/", views.appeal_act, name="act"),
    path("<int:pk>/follow/", views.appeal_follow, name="follow"),
    path("<int:pk>/whistle/", views.whistle_blow, name="whistle"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("<int:pk>/summons/<int:summons_pk>/checkin/", views.summons_checkin, name="checkin"),
    path("<int:pk>/summons/<int:summons_pk>/rate/", views.summons_rate, name="rate"),
]
