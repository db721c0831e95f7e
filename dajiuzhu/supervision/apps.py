from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    """Flat management (扁平化管理): time limits, handler evaluation, spot checks, training, complaints."""

    name = "dajiuzhu.supervision"
    label = "supervision"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dajiuzhu.cases import hooks
        from dajiuzhu.core import workdays

        from . import calendar, policies

        # The county's holiday calendar serves every working-day period of the lower apps (hearings, urgent grants).
        workdays.register_calendar(calendar.day_rule_for)

        if policies.decision_certificate_check not in hooks.DECISION_CHECKS:
            hooks.DECISION_CHECKS.append(policies.decision_certificate_check)
        if policies.public_complaint_link not in hooks.PUBLIC_NOTICE_LINKS:
            hooks.PUBLIC_NOTICE_LINKS.append(policies.public_complaint_link)
