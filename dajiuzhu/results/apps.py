from django.apps import AppConfig


class ResultsConfig(AppConfig):
    """Assistance records (救助成果库), payment batches, statistics and reports."""

    name = "dajiuzhu.results"
    label = "results"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
