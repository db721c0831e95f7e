"""Settings of the credit record, each with a default a county may override in settings."""

from __future__ import annotations

from django.conf import settings

from dajiuzhu.core.errors import NotFound
from dajiuzhu.programs.selectors import standard_value


def record_months() -> int:
    """How long a dishonesty record stays in force unless lifted (months)."""
    return int(getattr(settings, "CREDIT_RECORD_MONTHS", 36))


def simplified_review_cycles() -> int:
    """Consecutive consistent reviews after which a household gets simplified review."""
    return int(getattr(settings, "CREDIT_SIMPLIFIED_REVIEW_CYCLES", 3))


def hearing_answer_days(*, on, region_code: str) -> int:
    """Working days the family has to answer a notice of intended listing: the county's standard
    ``hearing_answer_days``, else the ``CREDIT_HEARING_ANSWER_DAYS`` setting (DOMAIN.md: 5)."""
    try:
        return int(standard_value("hearing_answer_days", on=on, region_code=region_code))
    except NotFound:
        return int(getattr(settings, "CREDIT_HEARING_ANSWER_DAYS", 5))
