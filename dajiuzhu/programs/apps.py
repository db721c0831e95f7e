from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    """Assistance catalogue (救助事项), standards, the rule language and evaluation."""

    name = "dajiuzhu.programs"
    label = "programs"
    default_auto_field = "django.db.models.BigAutoField"
