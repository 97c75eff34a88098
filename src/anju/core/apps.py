from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("Core")
