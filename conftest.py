"""Test set-up shared by every test: fixed data keys, a throw-away var dir."""

from __future__ import annotations

import base64
import json
import os
import tempfile

os.environ.setdefault("ANJU_TESTING", "1")
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
