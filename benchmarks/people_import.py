"""Benchmark: import 10,000 residents from an xlsx workbook (dry run, then the all-or-nothing commit).

Baseline measured in the same run: openpyxl merely reading every row of the same workbook (read-only
mode, no checks, no writes). Prints seconds, rows per second and the ratio to the baseline; asserts
nothing about time.

    .venv/bin/python benchmarks/people_import.py                 # SQLite in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_people .venv/bin/python benchmarks/people_import.py

The PostgreSQL database must be new and empty (createdb anju_bench_people); the script fills it.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_ROWS", "10000"))

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-bench-people-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from anju.orgs.models import UnitKind  # noqa: E402
from anju.people import fakes  # noqa: E402
from anju.people.importing import validate, write  # noqa: E402
from anju.people.models import Resident  # noqa: E402
from anju.testing import build_tree, unit  # noqa: E402


def timed(label: str, func: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = func()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    print(f"{label:<34} {elapsed:7.2f} s   {ROWS / elapsed:9.0f} rows/s")
    return elapsed, result


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; rows: {ROWS}")
    tree = build_tree("bench")
    names = ["1栋"]
    for n in range(2, 9):
        unit(UnitKind.BUILDING, f"{n}栋", tree.grid)
        names.append(f"{n}栋")
    rows = fakes.people_rows(ROWS, buildings=names)
    data = fakes.workbook(rows)
    print(f"workbook: {len(data) / 1048576:.1f} MB")

    def read_only() -> int:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()
        return count

    baseline, _ = timed("baseline: openpyxl reads the rows", read_only)
    dry, plan = timed("dry run (read + check, no writes)", lambda: validate.dry_run(tree.community, data))
    assert plan.ok, plan.problems[:5]  # type: ignore[attr-defined]
    commit, summary = timed(
        "commit (check again + write, 1 txn)",
        lambda: write.commit(actor=None, community=tree.community, data=data),
    )
    assert Resident.objects.count() == ROWS
    print(f"households created: {summary['households_created']}")  # type: ignore[index]
    print(f"ratio dry run / baseline: {dry / baseline:.1f}x")
    print(f"ratio commit / baseline:  {commit / baseline:.1f}x")


if __name__ == "__main__":
    main()
