from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Applications, real-time decisions, review, revocation, appeals, notices, public notice (公示)."""

    name = "dajiuzhu.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"
