"""The 每月一题 appeal grouping (``anju.consult.grouping.text``) on the labelled set the tests ship
(tests/data/consult_appeals.tsv: 205 hand-written appeals of one community in six buildings and an area, 28
recurring matters and 44 one-offs): pairwise precision and recall, across a range of thresholds, and the time.

    .venv/bin/python benchmarks/consult_grouping.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")

import django

django.setup()

from anju.consult.grouping import text  # noqa: E402
from anju.testing.consult import labelled_appeals, pair_scores  # noqa: E402


def main() -> None:
    rows = labelled_appeals()
    items = [text.Item(i, r.unit, r.category, r.text) for i, r in enumerate(rows)]
    gold = {i: r.label for i, r in enumerate(rows)}
    text.features("预热")  # jieba loads its dictionary once
    matters = len({r.label for r in rows if r.label != "-"})
    print(
        f"labelled set: {len(rows)} appeals, {matters} recurring matters, {sum(r.label == '-' for r in rows)} one-offs"
    )
    print("threshold  precision  recall  groups  seconds")
    for threshold in sorted({0.04, 0.05, text.THRESHOLD, 0.07, 0.08, 0.1}):
        began = time.perf_counter()
        groups = text.group(items, threshold=threshold)
        seconds = time.perf_counter() - began
        precision, recall = pair_scores(gold, [g.ids for g in groups])
        mark = "  <- in use" if threshold == text.THRESHOLD else ""
        print(f"{threshold:9.2f}  {precision:9.3f}  {recall:6.3f}  {len(groups):6d}  {seconds:7.3f}{mark}")


if __name__ == "__main__":
    main()
