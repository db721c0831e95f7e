"""The API contract of checks and credit: a change to it is a reviewed diff of the snapshot.

To accept a change:  UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest dajiuzhu/checks/tests/test_openapi.py
"""

import json
import os
from pathlib import Path

from dajiuzhu.api.api import api

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
PREFIXES = ("/api/v1/checks/", "/api/v1/credit/")


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


def contract() -> dict:
    document = api.get_openapi_schema()
    paths = {path: spec for path, spec in document["paths"].items() if path.startswith(PREFIXES)}
    schemas = document.get("components", {}).get("schemas", {})
    names: set[str] = set()
    _refs(paths, names)
    pending = list(names)
    while pending:
        found: set[str] = set()
        _refs(schemas.get(pending.pop(), {}), found)
        for name in found - names:
            names.add(name)
            pending.append(name)
    return {"paths": paths, "schemas": {name: schemas[name] for name in sorted(names) if name in schemas}}


def test_every_endpoint_has_an_operation_id_and_the_contract_matches_the_snapshot():
    current = contract()
    for path, spec in current["paths"].items():
        for method, operation in spec.items():
            assert operation.get("operationId"), f"{method} {path} has no operation id"
    text = json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False)
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text + "\n", encoding="utf-8")
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == json.loads(text)
