"""Menu entries of the catalogue."""

from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Assistance catalogue"), url_name="programs:item_list", perm="programs.view", order=30,
            description=_("Items of every department, their rules and versions")),
    NavItem(label=_("Standards"), url_name="programs:standard_list", perm="programs.view", order=31,
            description=_("Amounts and coefficients per year, county, urban and rural")),
    NavItem(label=_("Screening"), url_name="programs:screening", perm="programs.edit", order=32,
            description=_("Find every household the catalogue's rules make eligible")),
]
