from django.urls import path

from anju.pairing import views

app_name = "pairing"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("households/<int:household_id>/visit/", views.visit_new, name="visit_new"),
    path("households/<int:household_id>/reveal/", views.reveal, name="reveal"),
    path("households/<int:household_id>/care/", views.care, name="care"),
    path("households/<int:household_id>/pair/", views.pair, name="pair"),
    path("households/<int:household_id>/unpair/", views.unpair, name="unpair"),
    path("visits/<int:visit_id>/", views.visit, name="visit"),
    path("visits/<int:visit_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("central/", views.overview, name="overview"),
    path("central/new/", views.central_new, name="central_new"),
    path("central/<int:central_id>/", views.central, name="central"),
    path("areas/<int:area_id>/suggest/", views.suggest, name="suggest"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export/", views.coverage_export, name="coverage_export"),
    path("cadence/", views.cadence, name="cadence"),
]
