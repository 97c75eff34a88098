from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.orgs"
    label = "orgs"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from anju.core import nav, stamp
        from anju.orgs import policies  # noqa: F401  (declares the actions)

        stamp.watch(("orgs", "0002_stamp_triggers"), "orgs_orgunit", "orgs_department")  # reach and names kept

        nav.register(nav.NavItem(_("Org tree"), "orgs:tree", "orgunit.view"), order=120)
        nav.register(nav.NavItem(_("Departments"), "orgs:departments", "department.view"), order=130)
        nav.register(nav.NavItem(_("Task forces"), "orgs:taskforces", "taskforce.view"), order=140)
