"""Production settings come from the environment and fail fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PRODUCTION_ENV = {
    "ANJU_ENV": "production",
    "SECRET_KEY": "p" * 30 + "Q9z_-" * 6,
    "DATABASE_URL": "sqlite:////tmp/anju-deploy-check.sqlite3",
    "ALLOWED_HOSTS": "anju.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://anju.example.cn",
    "ANJU_DATA_KEYS": json.dumps(
        {
            "current": "p1",
            "keys": {"p1": "cHJvZHVjdGlvbmtleXByb2R1Y3Rpb25rZXlwcm9kdWM="},
            "hash_key": "aGFzaGtleWhhc2hrZXloYXNoa2V5aGFzaGtleWhhc2g=",
        }
    ),
}


def run_anju(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANJU_", "DATABASE_URL", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "-m", "anju", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings():
    result = run_anju("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "ANJU_DATA_KEYS"])
def test_production_start_without_a_secret_stops_with_a_clear_message(missing, tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    env["ANJU_DATA_KEY_FILE"] = str(tmp_path / "absent.json")
    result = run_anju("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "production start refused" in result.stderr or "No data keys" in result.stderr


def test_short_secret_key_is_refused():
    result = run_anju("check", env={**PRODUCTION_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_argon2_is_the_production_hasher():
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = run_anju("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    """A connection per request costs a PostgreSQL page several milliseconds; a kept one must survive the
    database restarting (checked before a request reuses it). The replica is kept the same way."""
    code = (
        "from django.conf import settings; d = settings.DATABASES; "
        "print(d['default']['CONN_MAX_AGE'], d['default']['CONN_HEALTH_CHECKS'], "
        "d['replica']['CONN_MAX_AGE'], d['replica']['CONN_HEALTH_CHECKS'])"
    )
    env = {**PRODUCTION_ENV, "DATABASE_REPLICA_URL": "sqlite:////tmp/anju-deploy-check-replica.sqlite3"}
    result = run_anju("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "60 True 60 True"
