"""``{% load indices %}{% household_indices household %}``: the index section of a household page."""

from django import template

register = template.Library()


@register.inclusion_tag("indices/_household_section.html", takes_context=True)
def household_indices(context, household):
    from dajiuzhu.indices.selectors import household_section

    return {"section": household_section(household), "household": household, "request": context.get("request")}
