from django.apps import AppConfig


class RegionsConfig(AppConfig):
    """Administrative divisions, five levels, keyed by the 12-digit statistical code."""

    name = "dajiuzhu.regions"
    label = "regions"
    default_auto_field = "django.db.models.BigAutoField"
