"""Menu entries of the indices app."""

from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Low-income roster"), url_name="indices:roster", perm="indices.view", order=40,
            description=_("低收入人群数据库: tiers, hardship and development bands, risk types")),
    NavItem(label=_("Hardship measures"), url_name="indices:aggregates", perm="indices.view", order=41,
            description=_("Headcount H, intensity A and M0 by region and indicator")),
    NavItem(label=_("Index models"), url_name="indices:models", perm="indices.edit", order=42,
            description=_("Edit, preview and activate the hardship and development index models")),
]
