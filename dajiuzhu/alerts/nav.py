"""Menu entries of the alerts app, and the open alerts on the home page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Alerts"), url_name="alerts:inbox", perm="alerts.view", order=45,
            description=_("返贫预警: households the data flagged for a visit")),
    NavItem(label=_("Alerts overview"), url_name="alerts:overview", perm="alerts.manage", order=46,
            description=_("Alert counts, overdue alerts and outcomes by township")),
    NavItem(label=_("Disasters"), url_name="alerts:disasters", perm="alerts.manage", order=47,
            description=_("Record a disaster in an area for the warning scan")),
    NavItem(label=_("Warning rules"), url_name="alerts:rules", perm="alerts.manage", order=48,
            description=_("Thresholds of the early-warning signals")),
]


def home_counts(user) -> list[dict]:
    if not user.has_perm_code("alerts.view"):
        return []
    from .models import Alert

    mine = Alert.objects.filter(assigned_to=user, status=Alert.Status.OPEN).count()
    return [{"label": _("My open alerts"), "value": mine, "url": reverse("alerts:inbox")}]
