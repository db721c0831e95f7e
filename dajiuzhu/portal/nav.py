from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Village service room (代办)"), url_name="portal:village", perm="cases.create", order=35, section="applications",
            description=_("apply on a resident's behalf and follow what you proxied")),
    NavItem(label=_("Proxied applications to accept"), url_name="portal:township", perm="cases.handle", order=36, section="applications",
            description=_("applications the village service rooms took, waiting for the township window")),
]
