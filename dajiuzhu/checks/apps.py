from django.apps import AppConfig


class ChecksConfig(AppConfig):
    """Economic-status verification (家庭经济状况核对) and department data exchange."""

    name = "dajiuzhu.checks"
    label = "checks"
    default_auto_field = "django.db.models.BigAutoField"
