from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    """Public-welfare jobs (公益性岗位) and training courses, with their effect on household income."""

    name = "dajiuzhu.employment"
    label = "employment"
    default_auto_field = "django.db.models.BigAutoField"
