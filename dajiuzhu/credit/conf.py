"""Settings of the credit record, each with a default a county may override in settings."""

from __future__ import annotations

from django.conf import settings


def record_months() -> int:
    """How long a dishonesty record stays in force unless lifted (months)."""
    return int(getattr(settings, "CREDIT_RECORD_MONTHS", 36))


def simplified_review_cycles() -> int:
    """Consecutive consistent reviews after which a household gets simplified review."""
    return int(getattr(settings, "CREDIT_SIMPLIFIED_REVIEW_CYCLES", 3))
