from django.urls import path

from anju.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.events, name="events"),
    path("personal-data/", views.pii_log, name="pii"),
]
