from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.duty"
    label = "duty"
    verbose_name = _("Duty")

    def ready(self) -> None:
        from anju.duty import notices, policies, tasks  # noqa: F401  (declares the actions and the sweeps)

        notices.register_kinds()
        from anju.core import nav, registry
        from anju.duty import demo, home

        nav.register(nav.NavItem(_("Duty"), "duty:roster", "duty.view"), order=85)
        registry.home_card("duty_card", home.duty_card)
        registry.demo_loader("duty", demo.load, order=60)
