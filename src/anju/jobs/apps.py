from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.jobs"
    label = "jobs"
    verbose_name = _("Background work")

    def ready(self) -> None:
        from anju.core import nav
        from anju.jobs import policies  # noqa: F401  (declares the actions)

        nav.register(nav.NavItem(_("Background work"), "jobs:status", "jobs.view"), order=200)

        autodiscover_modules("tasks")
