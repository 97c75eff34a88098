from django.urls import path

from anju.jobs import views

app_name = "jobs"
urlpatterns = [path("", views.status, name="status")]
