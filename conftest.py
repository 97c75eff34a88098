"""Test set-up shared by every test: fixed data keys, a throw-away var dir, test-only settings.

``anju.settings`` does not know it is under test: pytest-django imports it before this file runs,
so the settings only tests want are set here, in ``pytest_configure``, on top of the real ones.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile

import pytest

#: The var dir this session made (removed when the session ends), or None when ANJU_VAR_DIR was given.
_MADE_VAR_DIR = None if os.environ.get("ANJU_VAR_DIR") else tempfile.mkdtemp(prefix="anju-test-var-")
if _MADE_VAR_DIR:
    os.environ["ANJU_VAR_DIR"] = _MADE_VAR_DIR
os.environ.setdefault(
    "ANJU_DATA_KEYS",
    json.dumps(
        {
            "current": "t1",
            "keys": {"t1": base64.urlsafe_b64encode(b"k" * 32).decode()},
            "hash_key": base64.urlsafe_b64encode(b"h" * 32).decode(),
        }
    ),
)


#: Cheap hashing keeps the suite fast. ``ANJU_TEST_REAL_HASHER=1`` runs the suite on the real list.
CHEAP_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if os.environ.get("ANJU_TEST_REAL_HASHER", "") not in {"1", "true", "yes", "on"}:
        settings.PASSWORD_HASHERS = [CHEAP_HASHER, *settings.PASSWORD_HASHERS]

    # ``ANJU_TEST_REPLICA_URL`` (set by .ci/run after `.ci/replica.sh start`): a real streaming replica of the
    # test PostgreSQL. It is the ``replica`` alias, a test mirror of ``default`` (the test database is made on
    # the primary and streams over); tests/conftest.py points it at the replica's own host and port.
    replica_url = os.environ.get("ANJU_TEST_REPLICA_URL", "")
    if replica_url and settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        import dj_database_url

        replica = dict(dj_database_url.parse(replica_url))
        replica["OPTIONS"] = {"connect_timeout": 3}
        replica["TEST"] = {"MIRROR": "default"}
        settings.DATABASES["replica"] = replica


def pytest_unconfigure(config: pytest.Config) -> None:
    """A throw-away var dir made for this session goes with it (sessions used to leave one in /tmp each)."""
    if _MADE_VAR_DIR:
        shutil.rmtree(_MADE_VAR_DIR, ignore_errors=True)
