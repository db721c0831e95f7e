"""The OpenAPI document is a contract: any change to it is a reviewed diff of the snapshot.

Only the foundation's paths (registry, core, accounts) and the schemas they use are compared,
so other apps can add routers without touching this snapshot.

To accept a change:  UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest dajiuzhu/api/tests/test_openapi.py
"""

import json
import os
import typing
from collections import defaultdict
from pathlib import Path

import pytest
from pydantic import BaseModel

from dajiuzhu.api.api import api

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
PREFIXES = ("/api/v1/registry/", "/api/v1/core/", "/api/v1/accounts/")


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


def foundation_contract(document: dict) -> dict:
    paths = {path: spec for path, spec in document["paths"].items() if path.startswith(PREFIXES)}
    schemas = document.get("components", {}).get("schemas", {})
    names: set[str] = set()
    _refs(paths, names)
    pending = set(names)
    while pending:  # schemas referenced by schemas
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


def test_openapi_document_is_served(document):
    assert document["info"]["title"] == "Dajiuzhu API"
    assert any(path.startswith("/api/v1/registry/") for path in document["paths"])


def test_every_foundation_endpoint_has_an_operation_id_and_a_response_schema(document):
    contract = foundation_contract(document)
    for path, methods in contract["paths"].items():
        for method, operation in methods.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operation_id"
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok and all("content" in operation["responses"][code] for code in ok), f"{method.upper()} {path}"


def test_openapi_snapshot_of_the_foundation(document):
    current = foundation_contract(document)
    text = json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(text, encoding="utf-8")
    recorded = SNAPSHOT.read_text(encoding="utf-8")
    assert text == recorded, (
        "The OpenAPI contract of /api/v1/registry, /core and /accounts changed. If the change is intended, "
        "regenerate the snapshot with:\n  UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest -q "
        "dajiuzhu/api/tests/test_openapi.py\nand commit dajiuzhu/api/tests/openapi.snapshot.json with the change."
    )


def _models(annotation, found: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models(argument, found)


def schema_classes_by_name() -> dict[str, set[str]]:
    """Every schema class an endpoint uses, by the name it gets in the OpenAPI components."""
    found: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in (operation.response_models or {}).values():
                    _models(model, found)
                for model in operation.models:
                    _models(model, found)
    names: dict[str, set[str]] = defaultdict(set)
    for cls in found:
        names[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    return names


def test_foundation_schema_names_are_unique_in_the_document():
    """Two schema classes with one name become one component: the later silently replaces the earlier."""
    foundation = ("dajiuzhu.registry.", "dajiuzhu.core.", "dajiuzhu.accounts.")
    clashes = {name: classes for name, classes in schema_classes_by_name().items()
               if len(classes) > 1 and any(c.startswith(foundation) for c in classes)}
    assert not clashes, f"schema names used by more than one class: {clashes}"
