from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Dashboards"), url_name="dashboards:home", perm="dashboards.view", order=90,
            description=_("Assistance at a glance for every level, with drill-down")),
]
