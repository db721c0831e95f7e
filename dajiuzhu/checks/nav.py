from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Data delivery"), url_name="checks:deliveries", perm="checks.deliver", order=55,
            description=_("Deliver department data for the verification")),
    NavItem(label=_("Verification"), url_name="checks:reports", perm="checks.view", order=56,
            description=_("Verification reports and the county-wide review")),
]
