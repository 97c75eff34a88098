from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.spaces"
    label = "spaces"
    verbose_name = _("Station spaces")

    def ready(self) -> None:
        from anju.core import nav, registry
        from anju.spaces import demo, notices, policies  # noqa: F401  (declares the actions and message kinds)

        nav.register(nav.NavItem(_("Station and spaces"), "spaces:stations", "space.view"), order=70)
        nav.register(nav.NavItem(_("My bookings"), "spaces:mine", "booking.view"), order=100)
        nav.register(nav.NavItem(_("Bookings to approve"), "spaces:approvals", "booking.manage"), order=110)
        registry.demo_loader("spaces", demo.load, order=10)
        from anju.accounts import acting

        acting.register_scope("bookings", _("Book rooms"), ["space.view", "booking.create", "booking.view"])
