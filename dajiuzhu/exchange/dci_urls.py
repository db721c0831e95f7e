"""``/api/dci/``: the open registry API (mounted by config/urls.py)."""

from .dci import dci_api

urlpatterns, app_name, _namespace = dci_api.urls
