"""The navigation: each app may have a ``nav.py`` with ``ITEMS = [NavItem(...)]``.

Items are grouped into sections (one per area of work) so the header stays one line: a
section is a menu that opens on click; the home page shows the same sections as cards.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    perm: str
    order: int = 100
    description: object = ""
    section: str = ""  # defaults to the app's section below


# Sections in the order they appear; apps map onto them.
SECTIONS: dict[str, object] = {
    "registry": _("Registry"),
    "applications": _("Applications"),
    "verification": _("Verification and credit"),
    "low_income": _("Low income and warning"),
    "results": _("Assistance and payments"),
    "dashboards": _("Dashboards"),
    "supervision": _("Supervision"),
    "system": _("System"),
}
APP_SECTION = {
    "registry": "registry", "programs": "applications", "cases": "applications", "credit": "verification",
    "checks": "verification", "indices": "low_income", "alerts": "low_income", "results": "results",
    "dashboards": "dashboards", "supervision": "supervision", "core": "system", "accounts": "system",
    "social": "results", "employment": "results",
}


@functools.cache
def _all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu."):
            continue
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        section = APP_SECTION.get(config.label, "system")
        for item in getattr(module, "ITEMS", []):
            items.append(item if item.section else dataclasses.replace(item, section=section))
    return tuple(sorted(items, key=lambda item: item.order))


def nav_for(user) -> list[dict]:
    """The flat list of entries this user may open."""
    if not getattr(user, "is_authenticated", False):
        return []
    out = []
    for item in _all_items():
        if not user.has_perm_code(item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "description": item.description, "section": item.section})
    return out


def nav_groups(items: list[dict]) -> list[dict]:
    """The entries grouped by section, sections in their fixed order, empty ones left out."""
    groups = []
    for key, label in SECTIONS.items():
        entries = [item for item in items if item["section"] == key]
        if entries:
            groups.append({"key": key, "label": label, "items": entries})
    return groups
