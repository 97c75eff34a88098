from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.site"
    label = "site"
    verbose_name = _("Site")

    def ready(self) -> None:
        from anju.access import policy
        from anju.accounts import acting
        from anju.core import nav
        from anju.site import policies  # noqa: F401  (declares the actions)

        acting.allow_while_acting("home.resident")  # a family proxy lands on the resident's home

        nav.register(nav.NavItem(_("Home"), "core:home", policy.AUTHENTICATED), order=10)
