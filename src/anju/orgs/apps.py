from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.orgs"
    label = "orgs"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from anju.orgs import policies  # noqa: F401  (declares the actions)
