from __future__ import annotations

from django.db.models import QuerySet

from dajiuzhu.core.scoping import actor_prefix

from .models import Region


def region_list(*, actor, level: int | None = None, within: str = "") -> QuerySet[Region]:
    """Regions inside the actor's jurisdiction (and its ancestors are not included)."""
    prefix = actor_prefix(actor)
    if prefix is None:
        return Region.objects.none()
    qs = Region.objects.filter(code__startswith=prefix) if prefix else Region.objects.all()
    if within:
        qs = qs.filter(code__startswith=within)
    if level is not None:
        qs = qs.filter(level=level)
    return qs


def region_get(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def region_names(codes) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))
