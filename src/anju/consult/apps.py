from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.consult"
    label = "consult"
    verbose_name = _("Consultation")

    def ready(self) -> None:
        from anju.consult import policies, tasks  # noqa: F401  (declares the actions, the periodic sweeps)
        from anju.consult.convention import demo as convention_demo
        from anju.consult.honours import demo as honours_demo
        from anju.consult.honours import panels as honours_panels
        from anju.consult.meetings import notices as meeting_notices
        from anju.consult.surveys import demo as surveys_demo
        from anju.consult.topics import demo as topics_demo
        from anju.core import nav, registry

        nav.register(nav.NavItem(_("Convention"), "consult:convention_mine", "convention.view"), order=95)
        registry.demo_loader("convention", convention_demo.load, order=70)
        meeting_notices.register_kinds()
        nav.register(nav.NavItem(_("Deciding together"), "consult:home", "consult.view"), order=70)
        registry.demo_loader("consult.topics", topics_demo.load, order=70)
        nav.register(nav.NavItem(_("Surveys"), "consult:surveys", "consult.survey_view"), order=71)
        registry.demo_loader("consult.surveys", surveys_demo.load, order=72)
        nav.register(nav.NavItem(_("Honours"), "consult:honours", "honours.view"), order=96)
        registry.demo_loader("consult.honours", honours_demo.load, order=73)
        registry.record_panel("honours", honours_panels.honours_panel, order=50)
