from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from anju.activities import notices, policies, tasks  # noqa: F401  (declares the actions and the sweep)

        notices.register_kinds()
        from anju.activities import demo, home
        from anju.core import nav, registry

        nav.register(nav.NavItem(_("Activities"), "activities:list", "activity.view"), order=80)
        registry.home_card("activities_card", home.activities_card)
        registry.demo_loader("activities", demo.load, order=40)
        from anju.accounts import acting

        acting.register_scope(
            "activities", _("Sign up for activities"), ["activity.view", "activity.register", "registration.view"]
        )
