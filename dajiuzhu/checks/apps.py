from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ChecksConfig(AppConfig):
    """Economic-status verification (家庭经济状况核对) and department data exchange."""

    name = "dajiuzhu.checks"
    label = "checks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        register_verifier()
        post_migrate.connect(_fill_department_data_types, sender=self)


def _fill_department_data_types(sender, **kwargs) -> None:
    from .datatypes import ensure_department_data_types

    try:
        ensure_department_data_types()
    except Exception:  # noqa: BLE001 - a fresh database may not have the table yet
        return


def register_verifier() -> bool:
    """Plug the verification into cases' VERIFIERS (once), if cases offers the hook."""
    try:
        from dajiuzhu.cases import hooks
    except ImportError:
        return False
    from .hooks import case_verifier

    verifiers = getattr(hooks, "VERIFIERS", None)
    if verifiers is None:
        return False
    if case_verifier not in verifiers:
        verifiers.append(case_verifier)
    return True
