from django.apps import AppConfig


class PortalConfig(AppConfig):
    """掌上办: the residents' own door (sign-in by code, what could we get, apply, follow, messages) and the
    village service rooms that apply on a resident's behalf (代办)."""

    name = "dajiuzhu.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the cases and results signals to the inbox
