"""``anju partitions list|ensure``: the monthly partitions of the tables that grow forever (PostgreSQL)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from anju.core import partitions


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007  a calendar month, no time
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text}") from None


class Command(BaseCommand):
    help = "List the monthly partitions of the time-partitioned tables, or create the months ahead (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "ensure"])
        parser.add_argument(
            "--since",
            type=_month,
            help="ensure: also every month from this one (YYYY-MM), moving its rows out of the default partition",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=partitions.AHEAD,
            help=f"ensure: months ahead of the current one (default {partitions.AHEAD})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"No partitioned tables: the database is {connection.vendor}, only PostgreSQL partitions."
            )
            return
        if options["action"] == "ensure":
            created = partitions.ensure(options["months"], since=options["since"])
            for name in created:
                self.stdout.write(f"created {name}")
            self.stdout.write(f"{len(created)} partitions created.")
            return
        table = None
        for part in partitions.listing():
            if part.table != table:
                table = part.table
                self.stdout.write(table)
            rows = "?" if part.rows < 0 else f"~{part.rows}"
            self.stdout.write(f"  {part.name:<40} {rows:>10}  {part.bounds}")
