from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (/api/v1/) that mounts each app's router."""

    name = "dajiuzhu.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
