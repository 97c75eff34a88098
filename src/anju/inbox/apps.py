from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from anju.access import policy
        from anju.accounts import codes
        from anju.core import nav, registry
        from anju.inbox import policies, services, shell  # noqa: F401  (declares the actions)

        registry.shell_context("inbox_unread", shell.unread)
        codes.on_send(services.sms_code_send)
        nav.register(nav.NavItem(_("Inbox"), "inbox:list", policy.AUTHENTICATED), order=20)
