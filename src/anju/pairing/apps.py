from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    name = "anju.pairing"
    label = "pairing"
    verbose_name = _("Central households and visits")

    def ready(self) -> None:
        import anju.pairing.policies
        import anju.pairing.tasks  # noqa: F401
        from anju.core import nav, registry
        from anju.pairing import demo, home, notices, services
        from anju.people import services as people_services

        notices.register_kinds()
        people_services.on_household_changed(services.on_household_changed)
        nav.register(nav.NavItem(_("My visits"), "pairing:mine", "pairing.visit"), order=65)
        nav.register(nav.NavItem(_("Central households"), "pairing:overview", "pairing.view"), order=66)
        registry.home_card("pairing_card", home.pairing_card)
        registry.demo_loader("pairing", demo.load, order=60)
