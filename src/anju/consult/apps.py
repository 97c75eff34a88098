from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.consult"
    label = "consult"
    verbose_name = _("Consultation")

    def ready(self) -> None:
        from anju.consult import policies  # noqa: F401  (declares the actions)
        from anju.consult.convention import demo as convention_demo
        from anju.core import nav, registry

        nav.register(nav.NavItem(_("Convention"), "consult:convention_mine", "convention.view"), order=95)
        registry.demo_loader("convention", convention_demo.load, order=70)
