from django.apps import AppConfig


class IndicesConfig(AppConfig):
    """Hardship index (困难指数), development index (发展指数), low-income roster."""

    name = "dajiuzhu.indices"
    label = "indices"
    default_auto_field = "django.db.models.BigAutoField"
