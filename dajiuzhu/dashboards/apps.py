from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Multi-level dashboards over pre-aggregated tables."""

    name = "dajiuzhu.dashboards"
    label = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"
