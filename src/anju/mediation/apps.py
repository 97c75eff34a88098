from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.mediation"
    label = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        from anju.appeals import referrals
        from anju.core import nav, registry
        from anju.mediation import (
            demo,
            home,
            notices,
            policies,  # noqa: F401  (declares the actions)
        )

        notices.register_kinds()
        referrals.register("mediation", home.appeal_referrals, home.appeal_offer)
        nav.register(nav.NavItem(_("Mediation"), "mediation:index", "mediation.list"), order=67)
        registry.demo_loader("mediation", demo.load, order=70)
