from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.mediation"
    label = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        from anju.mediation import policies  # noqa: F401  (declares the actions)
