from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Applications"), url_name="cases:workbench", perm="cases.view", order=30,
            description=_("the window's workbench: new application, queue, due reviews")),
    NavItem(label=_("Approvals"), url_name="cases:approvals", perm="cases.approve", order=31,
            description=_("applications and appeals waiting for your decision")),
    NavItem(label=_("Worklist"), url_name="cases:worklist", perm="cases.view", order=32,
            description=_("duplicated, overlapping and missed assistance (重复、交叉、遗漏)")),
]
