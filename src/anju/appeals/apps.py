from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from anju.appeals import demo, home, notices, policies, recompute  # noqa: F401  (declares the actions and message kinds)
        from anju.calendar import services as calendar_services
        from anju.core import nav, registry, stamp

        stamp.watch(("appeals", "0022_stamp_triggers"), "appeals_category")  # the filters' and rates' names kept

        calendar_services.on_schedule_changed(recompute.schedule_changed)
        nav.register(nav.NavItem(_("Appeals"), "appeals:list", "appeal.view"), order=30)
        nav.register(nav.NavItem(_("Three rates"), "appeals:rates", "appeal.rates"), order=40)
        nav.register(nav.NavItem(_("Appeal settings"), "appeals:config", "appeal.routes"), order=150)
        registry.home_card("appeal_card", home.appeal_card)
        registry.shell_context("public_links", home.public_links)
        registry.home_card("rates_card", home.rates_card)
        registry.demo_loader("appeals", demo.load, order=30)
        from anju.accounts import acting

        acting.register_scope(
            "appeals", _("File and follow problems"), ["appeal.view", "appeal.file", "appeal.add_info"]
        )
        acting.register_scope(
            "callback", _("Answer callbacks and rate the handling"), ["appeal.view", "appeal.callback"]
        )
