from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from anju.site.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Verify an archive made by `anju backup` and restore it into an empty place: an SQLite database into "
        "--target-var-dir (default: the configured var directory), a PostgreSQL dump into the configured database, "
        "which must have no tables."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", help="The .tar.gz archive written by `anju backup`.")
        parser.add_argument(
            "--target-var-dir",
            help="Directory to restore into (the SQLite database, media/ and keys/); it must hold no database yet.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Move an existing SQLite database, media directory or key file aside (*.bak) instead of refusing. "
            "Never applies to a PostgreSQL database. Stop the server first.",
        )
        parser.add_argument("--verify-only", action="store_true", help="Only check the archive; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verify_only"]:
                manifest = backup_verify(options["archive"])
            else:
                result = backup_restore(
                    options["archive"], target_var_dir=options["target_var_dir"], force=options["force"]
                )
                manifest = result.manifest
                # Sessions and signed-in users cached before the restore describe the old database: drop them, so
                # every request reads the restored rows (a session the restored database lacks is signed out).
                caches[settings.SESSION_CACHE_ALIAS].clear()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Archive verified: made %(created)s by Anju %(version)s, %(vendor)s database, %(files)s members.")
                % {
                    "created": manifest.get("created_at", "?"),
                    "version": manifest.get("anju_version", "?"),
                    "vendor": manifest["database"]["vendor"],
                    "files": len(manifest["files"]),
                }
            )
        )
        if options["verify_only"]:
            return
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored the database into %(database)s and %(media)s uploaded files into %(dir)s.")
                % {"database": result.database, "media": result.media_files, "dir": result.media_dir}
            )
        )
        for path in result.moved_aside:
            self.stdout.write(_("  moved aside: %(path)s") % {"path": path})
        if result.keys_written:
            self.stdout.write(_("  data keys written to %(path)s") % {"path": result.keys_written})
        if options["target_var_dir"] and result.vendor == "sqlite":
            self.stdout.write(
                _("  To run Anju on it: ANJU_VAR_DIR=%(dir)s anju serve") % {"dir": options["target_var_dir"]}
            )
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
