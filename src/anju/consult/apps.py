from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.consult"
    label = "consult"
    verbose_name = _("Consultation")

    def ready(self) -> None:
        from anju.consult import policies  # noqa: F401  (declares the actions)
