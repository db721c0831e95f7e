"""swagger-ui pages that run under the strict Content-Security-Policy, for any NinjaAPI of the platform
(``/api/v1/docs`` and the exchange's ``/api/dci/docs``). django-ninja's default page loads swagger-ui from
a public CDN and starts it with an inline script; ``LocalSwagger`` renders ``core/swagger.html``: swagger-ui
vendored under ``static/vendor/swagger-ui/`` (``static/vendor/README.md``), started by
``static/js/api-docs.js`` with its settings in data attributes.
"""
from __future__ import annotations

from django.shortcuts import render
from ninja.openapi.docs import DocsBase

SWAGGER_VERSION = "5.36.0"


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        return render(request, "core/swagger.html", {
            "api": api, "openapi_url": self.get_openapi_url(api, kwargs), "swagger_version": SWAGGER_VERSION,
        })
