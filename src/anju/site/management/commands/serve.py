from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from anju.jobs.worker import run_forever


class Command(BaseCommand):
    help = "Serve Anju over HTTP (waitress), with the worker running in-process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("ANJU_THREADS", "8")))
        parser.add_argument("--no-worker", action="store_true", help="Do not run the worker in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.core.servers.basehttp import get_internal_wsgi_application
        from waitress import serve

        application = get_internal_wsgi_application()  # settings.WSGI_APPLICATION: core does not import the site

        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        stop = threading.Event()
        worker = None
        if not options["no_worker"]:
            worker = threading.Thread(
                target=run_forever, args=(stop,), kwargs={"poll_seconds": settings.WORKER_POLL_SECONDS}, daemon=True
            )
            worker.start()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Anju is serving on {url}  (Ctrl-C stops it)"))
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="anju",
                max_request_body_size=settings.MAX_REQUEST_BYTES,
            )
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=5)
