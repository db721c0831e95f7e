"""The API contract of indices and alerts: a reviewed diff of the snapshot on any change.

To accept a change:  UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest dajiuzhu/alerts/tests/test_openapi.py
"""

import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
PREFIXES = ("/api/v1/indices/", "/api/v1/alerts/")


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def contract(document: dict) -> dict:
    paths = {path: spec for path, spec in document["paths"].items() if path.startswith(PREFIXES)}
    schemas = document.get("components", {}).get("schemas", {})
    names: set[str] = set()
    _refs(paths, names)
    pending = set(names)
    while pending:
        more: set[str] = set()
        for name in pending:
            _refs(schemas.get(name, {}), more)
        pending = more - names
        names |= more
    return {"paths": paths, "schemas": {name: schemas[name] for name in sorted(names) if name in schemas}}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_has_an_operation_id_and_a_response_schema(document):
    current = contract(document)
    assert len(current["paths"]) == 6
    for path, methods in current["paths"].items():
        for method, operation in methods.items():
            assert operation.get("operationId"), f"{method.upper()} {path}"
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok and all("content" in operation["responses"][code] for code in ok), f"{method.upper()} {path}"


def test_openapi_snapshot_of_indices_and_alerts(document):
    text = json.dumps(contract(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8"), "the indices/alerts API changed: regenerate the snapshot"
