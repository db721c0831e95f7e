"""The API's browsable documentation (swagger-ui), served from the platform itself and to staff only.

django-ninja's default page loads swagger-ui from a public CDN (unpinned) when ``ninja`` is not an
installed app, and puts its settings in an inline script block. ``LocalSwagger`` (core.swagger) renders
``core/swagger.html`` instead: swagger-ui 5.36.0 vendored from the npm registry under
``static/vendor/swagger-ui/`` (``static/vendor/README.md``) and started by ``static/js/api-docs.js``,
with its settings in data attributes, so the page runs under the strict Content-Security-Policy.

``staff_docs`` guards both the page and the OpenAPI document (``docs_decorator``): a signed-in staff
account (any role but resident) or an API token of one. The document lists every operation and schema
of the API; it holds no personal data, but it is a map of the attack surface that nobody outside the
platform's users and integrators needs. Anonymous: the page redirects to the login page, the document
answers 401 with the problem body. A resident's account: 403.
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse

from dajiuzhu.accounts.roles import Role
from dajiuzhu.core.swagger import SWAGGER_VERSION, LocalSwagger  # noqa: F401 (api.py takes it from here)

from .auth import TokenAuth


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    body = {"type": f"urn:dajiuzhu:error:{title}", "title": title, "status": status, "detail": detail}
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _caller(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return TokenAuth().authenticate(request, token.strip())
    return None


def staff_docs(view):
    """``NinjaAPI(docs_decorator=...)``: the docs page and the OpenAPI document for staff only."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        document = request.path.endswith(".json")
        user = _caller(request)
        if user is None:
            if document:
                return _problem(401, "unauthenticated", "Authentication required.")
            return redirect_to_login(request.get_full_path())
        if user.role == Role.RESIDENT or not user.is_active:
            return _problem(403, "forbidden", "The API documentation is for staff accounts.")
        return view(request, *args, **kwargs)

    return wrapped
