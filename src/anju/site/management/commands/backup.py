from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from anju.site.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database and the uploaded files to one .tar.gz archive "
        "(default: var/backups/anju-YYYYmmdd-HHMMSS.tar.gz). The data keys stay out unless --include-keys."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", help="Where to write the archive; it must not exist yet.")
        parser.add_argument(
            "--include-keys",
            action="store_true",
            help="Also put the personal-data keys into the archive (then protect the archive like the keys).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create(output=options["output"], include_keys=options["include_keys"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(self.style.SUCCESS(_("Backup written to %(path)s") % {"path": result.path}))
        self.stdout.write(
            _("  %(vendor)s database, %(tables)s tables, %(rows)s rows; %(media)s uploaded files; %(size)s bytes")
            % {
                "vendor": manifest["database"]["vendor"],
                "tables": len(manifest["row_counts"]),
                "rows": sum(manifest["row_counts"].values()),
                "media": manifest["media_files"],
                "size": result.size,
            }
        )
        self.stdout.write(_("  sha256 %(digest)s") % {"digest": result.sha256})
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stderr.write(self.style.WARNING(result.key_warning))
