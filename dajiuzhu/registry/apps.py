from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """社会救助对象信息登记库: households, members, dated facts, the intake pipeline."""

    name = "dajiuzhu.registry"
    label = "registry"
    default_auto_field = "django.db.models.BigAutoField"
