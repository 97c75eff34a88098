from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.spaces"
    label = "spaces"
    verbose_name = _("Station spaces")

    def ready(self) -> None:
        from anju.core import registry
        from anju.spaces import demo, notices, policies  # noqa: F401  (declares the actions and message kinds)

        registry.demo_loader("spaces", demo.load, order=10)
