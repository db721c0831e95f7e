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
from ninja.errors import AuthenticationError, ValidationError

from dajiuzhu.core.errors import DomainError

from .auth import SessionAuth, TokenAuth
from .docs import LocalSwagger, staff_docs


class DajiuzhuAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The document with one key per status code: an operation's ``openapi_extra`` names its status as
        text ("200") beside ninja's integer 200, and the JSON then holds the key twice, which swagger-ui
        refuses ("duplicated mapping key"). The extra's entry wins, as it did for JSON readers."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.get("responses") if isinstance(operation, dict) else None
                if responses and len({str(code) for code in responses}) != len(responses):
                    merged = {}
                    for code, value in responses.items():
                        merged[str(code)] = value
                    operation["responses"] = merged
        return schema


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
