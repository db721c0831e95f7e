from django.apps import AppConfig


class SocialConfig(AppConfig):
    """Social forces (社会力量): organisations, purchased services, service orders, volunteers, charity wishes."""

    name = "dajiuzhu.social"
    label = "social"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
