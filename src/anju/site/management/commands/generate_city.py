"""``anju generate_city``: a realistic city of appeals for the benchmarks (``anju.site.city``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from anju.site import city


class Command(BaseCommand):
    help = (
        "Generate a realistic city into the database: an org tree of communities, grids and departments, N "
        "appeals over the years with their timeline, callbacks, escalations and daily roll-up, and some "
        "bookings and registrations. Fast on PostgreSQL (COPY); keep N small on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appeals", type=int, default=100_000, help="how many appeals (default 100,000)")
        parser.add_argument("--communities", type=int, default=300, help="how many communities (default 300)")
        parser.add_argument("--years", type=float, default=3, help="over how many years up to now (default 3)")
        parser.add_argument("--seed", type=int, default=13, help="the random seed (default 13)")
        parser.add_argument("--bookings", type=int, default=None, help="how many bookings (default appeals / 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        made = city.generate_city(
            appeals=options["appeals"],
            communities=options["communities"],
            years=options["years"],
            seed=options["seed"],
            bookings=options["bookings"],
            progress=(lambda line: self.stderr.write(line)) if options["verbosity"] > 1 else None,
        )
        self.stdout.write(city.describe(made))
