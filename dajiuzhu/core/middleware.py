from __future__ import annotations

from . import context


class RequestContextMiddleware:
    """Marks changes made during a request as coming from the web pages or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = "api" if request.path.startswith("/api/") else "web"
        with context.source(name):
            return self.get_response(request)
