"""Sections that higher apps add to the household page of the registry.

The registry must not import the apps above it, so each of them may have a ``panels.py`` with
``HOUSEHOLD_PANELS = [HouseholdPanel(template=..., perm=..., position="top"|"bottom")]``; the
household page includes every panel the user's role may see, with ``household`` in the
context. A panel template loads its own app's template tags.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import import_module

from django.apps import apps


@dataclasses.dataclass(frozen=True)
class HouseholdPanel:
    template: str
    perm: str
    position: str = "bottom"  # "top": flags under the title; "bottom": sections after the facts
    order: int = 100


@functools.cache
def _all_panels() -> tuple[HouseholdPanel, ...]:
    panels: list[HouseholdPanel] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu."):
            continue
        try:
            module = import_module(f"{config.name}.panels")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.panels":
                raise
            continue
        panels.extend(getattr(module, "HOUSEHOLD_PANELS", []))
    return tuple(sorted(panels, key=lambda panel: panel.order))


def household_panels(user, position: str) -> list[str]:
    """Template names of the panels at ``position`` this user may see."""
    return [p.template for p in _all_panels() if p.position == position and user.has_perm_code(p.perm)]
