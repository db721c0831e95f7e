from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Early-warning rules (返贫预警), alerts and follow-up visits."""

    name = "dajiuzhu.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"
