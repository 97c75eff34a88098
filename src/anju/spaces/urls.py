from django.urls import path

from anju.spaces import views

app_name = "spaces"
urlpatterns = [path("", views.station_list, name="stations")]
