from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Social services"), url_name="social:overview", perm="social.view", order=80,
            description=_("Services bought from social organisations, by kind, organisation and month"),
            section="dashboards"),
    NavItem(label=_("Service orders"), url_name="social:orders", perm="social.view", order=81,
            description=_("派单: orders to organisations, visits, overdue orders")),
    NavItem(label=_("My service orders"), url_name="social:orders", perm="social.serve", order=81,
            description=_("Orders assigned to your organisation; record visits on the phone")),
    NavItem(label=_("Purchased services"), url_name="social:projects", perm="social.view", order=82,
            description=_("政府购买服务: projects, prices, spending against budget, settlement")),
    NavItem(label=_("Social organisations"), url_name="social:organisations", perm="social.view", order=83,
            description=_("The register: credit code, service area, qualifications")),
    NavItem(label=_("Volunteers"), url_name="social:volunteers", perm="social.view", order=84,
            description=_("Registered volunteers and their hours")),
    NavItem(label=_("Small wishes"), url_name="social:wishes", perm="social.view", order=85,
            description=_("微心愿: published without naming the family, claimed, delivered")),
]
