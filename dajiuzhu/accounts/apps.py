from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, jurisdiction, departments, login security, API tokens."""

    name = "dajiuzhu.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
