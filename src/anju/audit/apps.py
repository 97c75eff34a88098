from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from anju.audit import policies  # noqa: F401  (declares the actions)
        from anju.core import nav

        nav.register(nav.NavItem(_("Audit trail"), "audit:events", "audit.view"), order=180)
        nav.register(nav.NavItem(_("Personal-data access log"), "audit:pii", "pii.log.view"), order=190)
