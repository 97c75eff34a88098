from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.calendar"
    label = "calendar"
    verbose_name = _("Working-day calendar")

    def ready(self) -> None:
        from anju.calendar import policies  # noqa: F401  (declares the actions)
