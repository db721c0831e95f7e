from django.apps import AppConfig


class CreditConfig(AppConfig):
    """Dishonesty list, credit records, incentives and joint restrictions (信用)."""

    name = "dajiuzhu.credit"
    label = "credit"
    default_auto_field = "django.db.models.BigAutoField"
