"""The ``anju`` command: every operator task is a subcommand.

``anju serve``, ``anju migrate``, ``anju demo``, ``anju createadmin``,
``anju worker``, ``anju backup``, ``anju restore`` and every other Django
management command.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    from django.core.management import execute_from_command_line

    args = ["anju", *(sys.argv[1:] if argv is None else argv)]
    if len(args) == 1:
        args.append("help")
    execute_from_command_line(args)


if __name__ == "__main__":  # pragma: no cover
    main()
