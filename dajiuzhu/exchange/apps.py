from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """The open registry API (SPDCI Social Registry v1.0.0): clients, searches, subscriptions, pushes."""

    name = "dajiuzhu.exchange"
    label = "exchange"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
