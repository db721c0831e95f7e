from django import template

register = template.Library()


@register.simple_tag
def household_employment(household) -> dict:
    from dajiuzhu.employment.selectors import household_employment as read

    return read(household)
