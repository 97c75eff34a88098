from django.urls import URLPattern

app_name = "consult"
urlpatterns: list[URLPattern] = []
