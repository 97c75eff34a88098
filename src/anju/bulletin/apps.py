from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.bulletin"
    label = "bulletin"
    verbose_name = _("Notice board")

    def ready(self) -> None:
        from anju.bulletin import demo, home, policies  # noqa: F401  (declares the actions)
        from anju.core import registry

        registry.home_card("notice_card", home.notice_card)
        registry.demo_loader("bulletin", demo.load, order=50)
