from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.bulletin"
    label = "bulletin"
    verbose_name = _("Notice board")

    def ready(self) -> None:
        from anju.bulletin import demo, home, policies  # noqa: F401  (declares the actions)
        from anju.core import nav, registry

        nav.register(nav.NavItem(_("Notice board"), "bulletin:list", "notice.view"), order=90)
        registry.home_card("notice_card", home.notice_card)
        registry.demo_loader("bulletin", demo.load, order=50)
