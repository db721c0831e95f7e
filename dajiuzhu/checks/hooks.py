"""What the checks app plugs into the cases app."""

from __future__ import annotations

from django.utils import timezone

from .services import verify_household


def case_verifier(case, actor):
    """Run by cases before a check-first decision and after a trust-first one (``cases.hooks.VERIFIERS``)."""
    return verify_household(actor=actor, household=case.household, as_of=timezone.localdate(), case=case)
