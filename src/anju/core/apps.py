import contextlib
import os

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from anju.access import policy
        from anju.core import registry, replica, stamp

        # The grants and reach of a user are kept by each process until a reference table changes.
        policy.keep_answers_with(stamp.remember)

        # A page whose figures came from a lagging read replica says so (base.html).
        registry.shell_context("replica_lag", replica.lag_notice)
        # Where large uploads are spooled (anju.core.files); the system check reports it if it cannot be made.
        if settings.FILE_UPLOAD_TEMP_DIR:
            with contextlib.suppress(OSError):
                os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
