"""``anju rollup_rebuild``: recompute the three-rate roll-up from the appeal rows (docs/rates.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anju.appeals.rates.rebuild import rollup_check, rollup_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the three-rate roll-up (daily and monthly tiers) from the appeal, timeline, callback and whistle "
        "rows; with --check, recount both tiers and compare them with what is stored instead (exit 1 on a difference)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="compare a recount with the stored tiers, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            problems = rollup_check()
            for line in problems[:50]:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"The roll-up differs from a recount of the rows in {len(problems)} rows.")
            self.stdout.write("Roll-up checked: both tiers equal a recount of the rows.")
            return
        rows = rollup_rebuild()
        self.stdout.write(f"Roll-up rebuilt: {rows} rows.")
