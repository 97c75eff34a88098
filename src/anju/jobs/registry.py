"""Task registration: each app's ``tasks.py`` declares its tasks here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TaskFunc = Callable[..., Any]


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    every_seconds: int
    func: Callable[[], Any]


_TASKS: dict[str, TaskFunc] = {}
_PERIODIC: dict[str, PeriodicSpec] = {}


def task(name: str) -> Callable[[TaskFunc], TaskFunc]:
    """A task run from a :class:`~anju.jobs.models.Job` row; it receives the
    payload as keyword arguments and must be safe to run twice."""

    def decorator(func: TaskFunc) -> TaskFunc:
        if name in _TASKS and _TASKS[name] is not func:
            raise ValueError(f"task {name!r} registered twice")
        _TASKS[name] = func
        return func

    return decorator


def periodic(name: str, *, every_seconds: int) -> Callable[[TaskFunc], TaskFunc]:
    def decorator(func: TaskFunc) -> TaskFunc:
        _PERIODIC[name] = PeriodicSpec(name, every_seconds, func)
        return func

    return decorator


def tasks() -> dict[str, TaskFunc]:
    return dict(_TASKS)


def periodic_tasks() -> dict[str, PeriodicSpec]:
    return dict(_PERIODIC)
