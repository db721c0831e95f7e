"""The REST API at /api/v1/, with its OpenAPI document at /api/v1/openapi.json.

Each app that has an ``api.py`` with a ``router`` is mounted under ``/api/v1/<app>/``.
Authentication: a bearer token (``Authorization: Bearer djz_…``, for departments' systems
and scripts) or the page session (with CSRF). Domain errors become
``application/problem+json`` through one handler.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dajiuzhu.core.errors import DomainError

from .auth import SessionAuth, TokenAuth
from .bounds import bound_integers
from .docs import LocalSwagger, staff_docs

PROBLEM_SCHEMA = {
    "type": "object", "title": "Problem", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "field": {"type": "string"}, "details": {"type": "object"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
PROBLEM_STATUSES = {
    "400": "The request body cannot be parsed (not JSON, not UTF-8)",
    "401": "Not signed in (no or a revoked token)",
    "403": "The caller's role may not do this",
    "404": "Not found, or outside the caller's jurisdiction",
    "409": "Conflicts with the object's current state",
    "422": "The request is not valid (the problem names the field and the reason)",
}


class DajiuzhuAPI(NinjaAPI):
    """The API whose document declares, for every operation, the problem answers every operation may give
    (400, 401, 403, 404, 409, 422 with ``application/problem+json``): one place, so a new endpoint is documented
    too. Status keys are text, one per code: an operation's ``openapi_extra`` names its status as text ("200")
    beside ninja's integer 200, and swagger-ui refuses a document holding the key twice ("duplicated mapping
    key"); the extra's entry wins."""

    def get_openapi_schema(self, *args, **kwargs):
        document = super().get_openapi_schema(*args, **kwargs)
        document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for methods in document.get("paths", {}).values():
            for operation in methods.values():
                if not isinstance(operation, dict):
                    continue
                responses = {}
                for code, value in operation.get("responses", {}).items():
                    responses[str(code)] = value
                for status, description in PROBLEM_STATUSES.items():
                    responses.setdefault(status, {"description": description, "content": {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
                operation["responses"] = responses
        return document


api = DajiuzhuAPI(
    title="Dajiuzhu API",
    version="1",
    description="Integrated social assistance platform (智慧大救助).",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    docs=LocalSwagger(),  # swagger-ui from static/vendor, no CDN, no inline script
    docs_decorator=staff_docs,  # the page and openapi.json for staff accounts and tokens only
)


def _problem(request, status: int, title: str, detail: str, **extra):
    body = {"type": f"urn:dajiuzhu:error:{title}", "title": title, "status": status, "detail": detail, **extra}
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = api.create_response(request, exc.as_problem(), status=exc.http_status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _problem(request, 404, "not_found", "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _problem(request, 401, "unauthenticated", "Authentication required.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """ninja's own refusals (e.g. a body that is not JSON: 400) in the problem format too."""
    return _problem(request, exc.status_code, "bad_request" if exc.status_code == 400 else "error", str(exc))


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    return _problem(request, 422, "invalid", "The request is not valid.", errors=exc.errors)


def mount_app_routers() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu.") or config.label == "api":
            continue
        try:
            module = import_module(f"{config.name}.api")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.api":
                continue
            raise
        router = getattr(module, "router", None)
        if router is not None:
            api.add_router(f"/{config.label}/", router)


mount_app_routers()
bound_integers(api)  # after every router is mounted: ids, limits and offsets of all operations (bounds.py)
