from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [NavItem(label=_("Credit record"), url_name="credit:list", perm="credit.view", order=60,
                 description=_("Dishonesty list, appeals and lifting"))]
