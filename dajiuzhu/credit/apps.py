from django.apps import AppConfig


class CreditConfig(AppConfig):
    """Dishonesty list, credit records, incentives and joint restrictions (信用)."""

    name = "dajiuzhu.credit"
    label = "credit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        register_restriction_check()
        connect_case_signals()


def connect_case_signals() -> bool:
    try:
        from dajiuzhu.cases import signals
    except ImportError:
        return False
    from .receivers import on_case_item_revoked

    signals.case_item_revoked.connect(on_case_item_revoked, dispatch_uid="credit.case_item_revoked")
    return True


def register_restriction_check() -> bool:
    """Plug ``restriction_reason`` into cases' RESTRICTION_CHECKS (once), if cases offers the hook."""
    try:
        from dajiuzhu.cases import hooks
    except ImportError:
        return False
    from .selectors import restriction_reason

    checks = getattr(hooks, "RESTRICTION_CHECKS", None)
    if checks is None:
        return False
    if restriction_reason not in checks:
        checks.append(restriction_reason)
    return True
