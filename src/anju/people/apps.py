from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "anju.people"
    label = "people"
    verbose_name = _("Resident registry")

    def ready(self) -> None:
        import anju.people.policies
        import anju.people.tasks  # noqa: F401
        from anju.core import nav, registry
        from anju.people import demo, home

        nav.register(nav.NavItem(_("Residents"), "people:residents", "people.view"), order=50)
        nav.register(nav.NavItem(_("Households"), "people:households", "people.view"), order=60)
        registry.home_card("registry", home.registry_card)
        registry.demo_loader("people", demo.load, order=20)
