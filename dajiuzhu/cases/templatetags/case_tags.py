from django import template

from dajiuzhu.cases import selectors

register = template.Library()


@register.inclusion_tag("cases/_household_benefits.html")
def household_benefits(household):
    """What the household receives now or has asked for, with links to the cases."""
    items = selectors.household_benefits(household_id=household.pk).order_by("-case__created_at")
    return {"household": household, "benefits": list(items)}
