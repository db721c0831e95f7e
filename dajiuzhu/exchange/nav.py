from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Open registry API"), url_name="exchange:clients", perm="accounts.manage", order=90,
            description=_("Systems that ask the registry: clients, suspension, undelivered messages")),
]
