"""A signed-in "hello" against an anonymous one, on SQLite and on PostgreSQL, in the same run.

    .venv/bin/python benchmarks/hello_bench.py [REQUESTS]

Each backend runs in a child process of its own with a fresh database (SQLite: a file in a temporary
``ANJU_VAR_DIR``; PostgreSQL: the database ``anju_bench_hello``, or ``$ANJU_BENCH_DB``, next to the one in
``DATABASE_URL``, created and dropped; skipped when ``DATABASE_URL`` is not set). The site's whole middleware
stack and settings are used as shipped: sessions (``cached_db``) and the signed-in user read through the
shared session cache (a directory under ``var/``). The view says hello to ``request.user`` (so the user is
really loaded) and touches nothing else. A community worker's client (signed in with ``force_login``) and an
anonymous client ask it REQUESTS times a round (default 200), alternately, for ``ANJU_BENCH_ROUNDS`` rounds
(default 7); the figure is the median round. It prints each one's time per request and database queries per
request, and the signed-in hello's speed as a share of the anonymous one's (issue 13 asks for at least 0.6).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import types

REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "7"))
BENCH_DB = os.environ.get("ANJU_BENCH_DB", "anju_bench_hello")


def child(backend: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpRequest, HttpResponse
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import include, path

    call_command("migrate", verbosity=0)
    from anju.access.roles import Role
    from anju.testing import build_tree, make_user

    tree = build_tree()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)

    def hello(request: HttpRequest) -> HttpResponse:
        user = request.user
        return HttpResponse(f"hello {user.get_username() if user.is_authenticated else 'stranger'}")

    hello.anju_permission = "public"  # type: ignore[attr-defined]
    urls = types.ModuleType("bench_hello_urls")
    urls.urlpatterns = [path("hello/", hello), path("", include("anju.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_hello_urls"] = urls
    with override_settings(ROOT_URLCONF="bench_hello_urls"):
        signed_in = Client()
        signed_in.force_login(worker)
        anonymous = Client()
        cases = {"anonymous": anonymous, "signed in": signed_in}
        queries = {}
        for name, client in cases.items():
            for _ in range(20):  # warm up: the session and the user are in the cache from here on
                assert client.get("/hello/").status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                body = client.get("/hello/").content.decode()
            queries[name] = len(ctx.captured_queries)
            assert ("stranger" in body) == (name == "anonymous"), body
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(ROUNDS):
            for name, client in cases.items():
                started = time.perf_counter()
                for _ in range(REQUESTS):
                    client.get("/hello/")
                times[name].append((time.perf_counter() - started) / REQUESTS)
    med = {name: statistics.median(v) for name, v in times.items()}
    version = connection.pg_version if connection.vendor == "postgresql" else connection.Database.sqlite_version
    print(f"{backend} ({connection.vendor} {version}), {REQUESTS} requests a round, median of {ROUNDS} interleaved")
    for name in cases:
        print(f"  {name:10} hello: {med[name] * 1000:7.3f} ms a request, {queries[name]} database queries")
    print(f"  signed-in hello speed ÷ anonymous hello speed: {med['anonymous'] / med['signed in']:.2f}")


def main() -> None:
    runs: list[tuple[str, dict[str, str]]] = []
    var = tempfile.mkdtemp(prefix="anju-bench-hello-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    runs.append(("SQLite", {**env, "ANJU_VAR_DIR": os.path.join(var, "sqlite")}))
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        admin = base.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        url = base.rsplit("/", 1)[0] + "/" + BENCH_DB
        runs.append(("PostgreSQL", {**env, "DATABASE_URL": url, "ANJU_VAR_DIR": os.path.join(var, "pg")}))
    else:
        print("PostgreSQL skipped (no DATABASE_URL)")
    try:
        for backend, child_env in runs:
            subprocess.run([sys.executable, __file__, str(REQUESTS), "--child", backend], env=child_env, check=True)
    finally:
        if base.startswith("postgres"):
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[-1])
    else:
        main()
