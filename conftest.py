"""Test set-up shared by every test: fixed data keys, a throw-away var dir, test-only settings.

``anju.settings`` does not know it is under test: pytest-django imports it before this file runs,
so the settings only tests want are set here, in ``pytest_configure``, on top of the real ones.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile

import pytest

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-test-var-"))
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
