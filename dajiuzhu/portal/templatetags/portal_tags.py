from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_household(context, household):
    """What the family did through 掌上办 and the village service room, for the staff household page (the
    panel is shown only to roles with ``cases.view`` on a household page they may already see)."""
    from dajiuzhu.portal.models import ChangeReport, Document, ProxyApplication

    return {
        "documents": list(Document.objects.filter(household=household).order_by("-uploaded_at")[:20]),
        "changes": list(ChangeReport.objects.filter(household=household).select_related("person")[:10]),
        "proxies": list(ProxyApplication.objects.filter(household=household).select_related("worker", "case")[:10]),
    }
