"""Menu entries of the registry and its figures on the home page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.nav import NavItem

ITEMS = [
    NavItem(label=_("Registry"), url_name="registry:household_search", perm="registry.view", order=10,
            description=_("Search households and members, see their history")),
    NavItem(label=_("Register a household"), url_name="registry:household_create", perm="registry.edit", order=11,
            description=_("Head, members and economic facts in one form")),
    NavItem(label=_("Import a file"), url_name="registry:import_upload", perm="registry.import", order=12,
            description=_("CSV or XLSX in the registry template, with an error report to fix and re-import")),
]


def home_counts(user) -> list[dict]:
    """Households and people in the user's jurisdiction (two indexed counts)."""
    if not user.has_perm_code("registry.view"):
        return []
    from dajiuzhu.core.scoping import scope

    from .models import Household, Person

    households = scope(Household.objects.all(), user, perm="registry.view").count()
    people = scope(Person.objects.filter(household__isnull=False, deceased_on__isnull=True), user,
                   perm="registry.view").count()
    url = reverse("registry:household_search")
    return [
        {"label": _("Households in the registry"), "value": households, "url": url},
        {"label": _("People in the registry"), "value": people, "url": url},
    ]
