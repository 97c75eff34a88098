from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from anju.insights import policies  # noqa: F401  (declares the actions)
