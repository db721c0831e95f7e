"""What an actor may do with social-forces objects.

County and township staff act inside their jurisdiction (``core.scoping``) with the role permissions
``social.view`` (read), ``social.dispatch`` (orders by hand, reassignment, wishes), ``social.manage``
(the register, projects, call-backs, settlement). An organisation's user (role ``social_org`` with
``social.serve``) is linked to one organisation (``OrganisationUser``): a coordinator sees and acts
on every order of the organisation, a worker only on the orders assigned to them — and both see only
the personal data a service needs (``selectors.order_person_view``).
"""

from __future__ import annotations

from dajiuzhu.core.scoping import region_in_scope

from .models import Order, OrganisationUser


def link_of(actor) -> OrganisationUser | None:
    """The organisation link of an organisation user (None for everyone else)."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm_code("social.serve"):
        return None
    cached = getattr(actor, "_social_link_cache", False)
    if cached is not False:
        return cached
    link = OrganisationUser.objects.filter(user=actor).select_related("organisation").first()
    actor._social_link_cache = link
    return link


def is_org_user(actor) -> bool:
    return link_of(actor) is not None


def can_serve(actor, order: Order) -> bool:
    """May the actor record visits on this order (its assigned worker, or a coordinator of its organisation)?"""
    link = link_of(actor)
    if link is None or link.organisation_id != order.organisation_id:
        return False
    return link.is_coordinator or order.worker_id == actor.pk


def can_coordinate(actor, order: Order) -> bool:
    link = link_of(actor)
    return link is not None and link.is_coordinator and link.organisation_id == order.organisation_id


def can_dispatch(actor, region_code: str) -> bool:
    return region_in_scope(actor, region_code, perm="social.dispatch")


def can_manage(actor, region_code: str) -> bool:
    return region_in_scope(actor, region_code, perm="social.manage")
