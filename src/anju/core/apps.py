import contextlib
import os
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_stamp(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from anju.core import stamp

    stamp.ensure(using)


class Config(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from anju.access import policy
        from anju.core import registry, replica, stamp

        # The grants and reach of a user are kept by each process until a reference table changes; after every
        # migrate (and a test's flush) the token's row and the reference tables' triggers are checked.
        policy.keep_answers_with(stamp.remember)
        post_migrate.connect(_ensure_stamp, sender=self, dispatch_uid="anju.core.stamp.ensure")

        # A page whose figures came from a lagging read replica says so (base.html).
        registry.shell_context("replica_lag", replica.lag_notice)
        # Where large uploads are spooled (anju.core.files); the system check reports it if it cannot be made.
        if settings.FILE_UPLOAD_TEMP_DIR:
            with contextlib.suppress(OSError):
                os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
