from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from anju.jobs.worker import run_forever, run_once


class Command(BaseCommand):
    help = "Run background and periodic work from database rows until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--poll", type=float, default=settings.WORKER_POLL_SECONDS, help="Seconds between polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            ran = run_once()
            self.stdout.write(f"Ran {ran} due item(s).")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Worker running; Ctrl-C stops it.")
        run_forever(stop, poll_seconds=options["poll"])
