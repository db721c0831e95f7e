"""Who may do what in the portal.

A resident acts only for the household of the person their account is linked to (the blind index of
their ID number); anything else is absent (404). A village worker proxies (代办) for households of
its own village, for items the catalogue marks as proxiable; the township window (``cases.handle``)
accepts or returns what its villages proxied. Staff read uploaded documents inside their jurisdiction.
"""

from __future__ import annotations

from dajiuzhu.core.scoping import region_in_scope


def is_resident(actor) -> bool:
    return (getattr(actor, "is_authenticated", False) and getattr(actor, "role", None) == "resident"
            and bool(getattr(actor, "person_id_hash", "")) and actor.is_active)


def is_village_worker(actor) -> bool:
    return (getattr(actor, "is_authenticated", False) and getattr(actor, "role", None) == "village_worker"
            and actor.has_perm_code("cases.create"))


def can_proxy_for(actor, household) -> bool:
    return is_village_worker(actor) and region_in_scope(actor, household.region_code, perm="cases.create")


def can_handle_proxy(actor, proxy) -> bool:
    """The township window of the household's township accepts or returns a proxied application."""
    return (getattr(actor, "role", None) in ("township_handler", "county_admin")
            and region_in_scope(actor, proxy.region_code, perm="cases.handle"))


def can_read_documents(actor, region_code: str) -> bool:
    return region_in_scope(actor, region_code, perm="cases.view")
