from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def yuan(value) -> str:
    """1234.5 → "1,234.50 元"."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f} 元"
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def local_time(value) -> str:
    """An aware time as shown in Asia/Shanghai: 2026-12-08 09:30."""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


@register.simple_tag
def household_services(household) -> dict:
    from dajiuzhu.social.selectors import household_services as read

    return read(household)


@register.simple_tag
def is_social_staff(user) -> bool:
    """Staff who read social forces (not an organisation's user)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm_code("social.view"))
