"""URL map: each app's ``urls.py`` (if any) under /<app>/, the API under /api/v1/."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from dajiuzhu.api.api import api

urlpatterns = [
    path("", include("dajiuzhu.core.urls")),
    path("accounts/", include("dajiuzhu.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("m/", include("dajiuzhu.portal.urls")),  # 掌上办: the residents' short address
    path("api/dci/", include("dajiuzhu.exchange.dci_urls")),
]

for _config in apps.get_app_configs():
    if not _config.name.startswith("dajiuzhu.") or _config.label in {"core", "accounts", "api", "portal"}:
        continue
    try:
        import_module(f"{_config.name}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_config.name}.urls":
            raise
        continue
    urlpatterns.append(path(f"{_config.label}/", include(f"{_config.name}.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
