"""``anju rollup_rebuild``: recompute the three-rate roll-up from the appeal rows (docs/rates.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from anju.appeals.rates.rebuild import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the daily three-rate roll-up from the appeal, timeline, callback and whistle rows."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rollup_rebuild()
        self.stdout.write(f"Roll-up rebuilt: {rows} rows.")
