from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: jurisdiction scoping, audit log, identity numbers, encryption, jobs."""

    name = "dajiuzhu.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
