from django import template

from ..timelimits import open_steps

register = template.Library()


@register.simple_tag(takes_context=True)
def case_open_steps(context, case):
    """Open steps of the case on its page (the page already checked the user may see the case)."""
    user = context.get("user")
    if user is None or not user.has_perm_code("cases.view"):
        return []
    return open_steps(case_ids=[case.pk])
