from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from anju.appeals import notices, policies  # noqa: F401  (declares the actions and message kinds)
