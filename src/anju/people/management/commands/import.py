"""``anju import residents FILE.xlsx --community ID [--commit]``: a dry run unless --commit."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db.models import Q

from anju.accounts.models import User
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit
from anju.people.importing import columns, validate, write


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = ""
        self.started = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else 0
        line = f"{phase:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total or '?'}"
        if line == self.last:
            return
        self.last = line
        tty = getattr(getattr(self.stream, "_out", self.stream), "isatty", lambda: False)()
        self.stream.write(line + ("\r" if tty else "\n"), ending="")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write(f"\n({time.monotonic() - self.started:.1f} s)")


class Command(BaseCommand):
    help = "Import residents from an Excel workbook: a dry run (nothing written) unless --commit."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["residents"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="Community id or exact name")
        parser.add_argument("--commit", action="store_true", help="Write the rows (all or nothing)")
        parser.add_argument("--user", default="", help="Username recorded as the actor")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        name = options["community"]
        pk = parse_id(name)
        lookup = Q(name=name) | (Q(pk=pk) if pk is not None else Q(pk__in=[]))
        communities = list(OrgUnit.objects.communities().filter(lookup))
        if len(communities) != 1:
            raise CommandError(f"Name one community (found {len(communities)} for {name!r}); use its id.")
        community = communities[0]
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        size = path.stat().st_size
        if size > columns.IMPORT_MAX_BYTES:
            raise CommandError(
                f"The file is {size / 1048576:.1f} MB; the limit is {columns.IMPORT_MAX_BYTES / 1048576:.0f} MB."
            )
        data = path.read_bytes()
        bar = ProgressBar(self.stderr if not options["quiet"] else OutputWrapper(io.StringIO()))
        if options["commit"]:
            try:
                summary = write.commit(
                    actor=actor,
                    community=community,
                    data=data,
                    progress=bar,
                    actor_label=actor.username if actor else "anju import",
                    filename=path.name,
                )
            except columns.ImportRejected as exc:
                bar.finish()
                self._report(exc.problems)
                raise CommandError(f"{len(exc.problems)} problem(s): nothing was written.") from exc
            bar.finish()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {summary['residents_created']} residents "
                    f"({summary['households_created']} new households) into {community.name}."
                )
            )
            return
        plan = validate.dry_run(community, data, bar)
        bar.finish()
        if not plan.ok:
            self._report(plan.problems)
            raise CommandError(f"{len(plan.problems)} problem(s). Dry run: nothing was written.")
        summary = plan.summary()
        self.stdout.write(
            self.style.SUCCESS(
                f"Dry run: {summary['rows']} residents in {summary['households']} households, no problem. "
                "Nothing was written; run again with --commit."
            )
        )

    def _report(self, problems: list[columns.Problem]) -> None:
        for p in problems:
            where = f"row {p.row}" if p.row else "file"
            column = f", {p.column}" if p.column else ""
            self.stdout.write(f"{where}{column}: {p.message}")
