from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from anju.insights import (
            policies,  # noqa: F401  (declares the actions)
            sections,
        )

        sections.load()
        from anju.core import nav

        nav.register(nav.NavItem(_("At a glance"), "insights:dashboard", "insights.view"), order=45)
