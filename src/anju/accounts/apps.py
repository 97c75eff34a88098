from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from anju.accounts import policies  # noqa: F401  (declares the actions)
