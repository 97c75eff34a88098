from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.contributions"
    label = "contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        from anju.contributions import (
            demo,
            policies,  # noqa: F401  (declares the actions)
        )
        from anju.core import nav, registry

        nav.register(nav.NavItem(_("Co-building"), "contributions:index", "contributions.view"), order=88)
        registry.demo_loader("contributions", demo.load, order=70)
