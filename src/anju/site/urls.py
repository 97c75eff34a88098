from django.urls import path

from anju.site import views

# The namespace keeps its first name, so every `{% url "core:home" %}` and `reverse("core:…")` stays as it was.
app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set_language"),
    path("text-size/", views.set_elder_mode, name="set_elder_mode"),
    path("healthz", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
]
