"""``/api/dci/``: the open registry API (mounted by config/urls.py)."""

from .dci import dci_api

urlpatterns = dci_api.urls[0]
app_name = dci_api.urls_namespace  # "dci", the namespace ninja reverses its own views in
