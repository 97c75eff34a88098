"""The committed OpenAPI schema is the contract: it must match the code."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command
from django.test import Client

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_committed_schema_matches_generated(capsys):
    call_command("export_openapi")
    generated = json.loads(capsys.readouterr().out)
    committed = json.loads(SCHEMA_FILE.read_text())
    assert generated == committed, "docs/openapi.json is stale: run `make schema` and commit it"


def test_schema_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/orgunits" in paths
    assert "/api/v1/me" in paths
