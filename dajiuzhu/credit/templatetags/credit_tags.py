"""``{% load credit_tags %}{% credit_flag household %}`` — the dishonesty flag on any household page."""

from __future__ import annotations

from django import template

from ..selectors import household_restriction, household_simplified_review

register = template.Library()


@register.inclusion_tag("credit/flag.html")
def credit_flag(household, show_incentive: bool = True):
    record = household_restriction(household) if household is not None else None
    simplified = bool(show_incentive and household is not None and record is None
                      and household_simplified_review(household))
    return {"record": record, "simplified": simplified}
