"""Background work of insights: building a community's annual report (PDF)."""

from __future__ import annotations

from anju.jobs.registry import task

# The name is also ``services.TASK`` (kept literal here: the task registry is read by name).


@task("insights.report_build")
def report_build(*, report_id: int) -> None:
    from anju.insights.annual import build

    build(report_id=report_id)
