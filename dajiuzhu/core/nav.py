"""The navigation: each app may have a ``nav.py`` with ``ITEMS = [NavItem(...)]``."""

from __future__ import annotations

import dataclasses
import functools
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse


@dataclasses.dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    perm: str
    order: int = 100
    description: object = ""


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
        items.extend(getattr(module, "ITEMS", []))
    return tuple(sorted(items, key=lambda item: item.order))


def nav_for(user) -> list[dict]:
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
        out.append({"label": item.label, "url": url, "description": item.description})
    return out
