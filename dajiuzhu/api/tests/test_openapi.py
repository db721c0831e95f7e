"""The OpenAPI document is a contract: any change to it is a reviewed diff of a snapshot.

The document is cut into the contracts of the app groups below; each is compared with its own
snapshot (the paths under its prefixes and every schema they reach), so a change shows as a diff
in the file of the group it touches. Every path of the document must belong to a group.

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

SNAPSHOTS = Path(__file__).with_name("snapshots")
CONTRACTS = {
    "foundation": ("/api/v1/registry/", "/api/v1/core/", "/api/v1/accounts/"),
    "programs_cases": ("/api/v1/programs/", "/api/v1/cases/"),
    "checks_credit": ("/api/v1/checks/", "/api/v1/credit/"),
    "indices_alerts": ("/api/v1/indices/", "/api/v1/alerts/"),
    "results_dashboards": ("/api/v1/results/", "/api/v1/dashboards/"),
    "social": ("/api/v1/social/", "/api/v1/employment/"),
    "supervision": ("/api/v1/supervision/",),
}


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


def contract(document: dict, prefixes: tuple[str, ...]) -> dict:
    """The paths under ``prefixes`` and every schema they reach (also through other schemas)."""
    paths = {path: spec for path, spec in document["paths"].items() if path.startswith(prefixes)}
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


@pytest.fixture(scope="module")
def document():
    """The document as served (through JSON: status codes become strings)."""
    from ninja.responses import NinjaJSONEncoder

    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


@pytest.mark.django_db
def test_openapi_document_is_served(client):
    from dajiuzhu.core.testing import LINYI_TOWN, make_user

    assert client.get("/api/v1/openapi.json").status_code == 401  # staff and tokens only (api/docs.py)
    client.force_login(make_user("township_handler", LINYI_TOWN))
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Dajiuzhu API"


def test_every_path_belongs_to_a_contract(document):
    prefixes = tuple(p for group in CONTRACTS.values() for p in group)
    assert [path for path in document["paths"] if not path.startswith(prefixes)] == []


def test_every_endpoint_has_an_operation_id_and_a_response_schema(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operation_id"
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok and all("content" in operation["responses"][code] for code in ok), f"{method.upper()} {path}"


@pytest.mark.parametrize("group", sorted(CONTRACTS))
def test_openapi_snapshot(document, group):
    current = contract(document, CONTRACTS[group])
    assert current["paths"], f"no path under {CONTRACTS[group]}"
    text = json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    snapshot = SNAPSHOTS / f"{group}.json"
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1" or not snapshot.exists():
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8"), (
        f"The OpenAPI contract of {', '.join(CONTRACTS[group])} changed. If the change is intended, regenerate "
        "the snapshot with:\n  UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest -q dajiuzhu/api/tests/test_openapi.py"
        f"\nand commit dajiuzhu/api/tests/snapshots/{group}.json with the change."
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


def test_schema_names_are_unique_in_the_document():
    """Two schema classes with one name become one component: the later silently replaces the earlier."""
    clashes = {name: classes for name, classes in schema_classes_by_name().items() if len(classes) > 1}
    assert not clashes, f"schema names used by more than one class: {clashes}"


@pytest.mark.django_db
def test_the_served_document_has_each_status_code_once(client):
    """swagger-ui refuses a document with a key twice (ninja's 200 beside an openapi_extra "200")."""
    from dajiuzhu.core.testing import LINYI_TOWN, make_user

    client.force_login(make_user("township_handler", LINYI_TOWN))

    def no_duplicates(pairs):
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
