from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.contributions"
    label = "contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        from anju.contributions import policies  # noqa: F401  (declares the actions)
