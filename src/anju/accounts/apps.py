from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from anju.access import policy
        from anju.accounts import (
            acting,
            policies,  # noqa: F401  (declares the actions)
        )
        from anju.core import nav, registry, stamp

        stamp.watch(("accounts", "0007_stamp_triggers"), "accounts_rolegrant")  # the grants each process keeps

        nav.register(nav.NavItem(_("Accounts"), "accounts:users", "user.view"), order=160)
        nav.register(nav.NavItem(_("Locked accounts"), "accounts:locked", "user.unlock"), order=170)
        nav.register(nav.NavItem(_("My account"), "accounts:profile", policy.AUTHENTICATED), order=210)
        nav.register(nav.NavItem(_("Family proxy"), "accounts:proxy", policy.AUTHENTICATED), order=205)
        nav.register(nav.NavItem(_("Record a family proxy"), "accounts:proxy_record", "proxy.record"), order=175)
        registry.shell_context("acting", acting.shell_context)
