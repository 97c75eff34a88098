from django.urls import path

from anju.duty import views

app_name = "duty"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("mine/", views.mine, name="mine"),
    path("swaps/", views.swaps, name="swaps"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("store/", views.store, name="store"),
    path("manage/", views.manage, name="manage"),
    path("shifts/<int:shift_id>/claim/", views.shift_claim, name="claim"),
    path("shifts/<int:shift_id>/", views.shift_detail, name="shift"),
    path("assignments/<int:assignment_id>/swap-with/", views.swap_with, name="swap_with"),
    path("assignments/<int:assignment_id>/<slug:step>/", views.assignment_step, name="step"),
    path("swaps/<int:swap_id>/take/", views.swap_take, name="take"),
    path("swaps/<int:swap_id>/decline/", views.swap_decline, name="decline"),
    path("swaps/<int:swap_id>/withdraw/", views.swap_withdraw, name="withdraw"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="reverse"),
    path("volunteers/<int:volunteer_id>/availability/", views.availability, name="availability"),
    path("volunteers/<int:volunteer_id>/certificate/", views.certificate, name="certificate"),
    path("door/<str:token>/", views.door, name="door"),
]
