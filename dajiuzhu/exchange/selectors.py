"""Reads of the exchange for staff pages, scoped to the actor's jurisdiction (county administrators)."""

from __future__ import annotations

from django.db.models import QuerySet

from dajiuzhu.core.scoping import get_scoped, scope

from .models import Callback, CallbackStatus, Client, DepartmentEvent, PushStatus

PERM = "accounts.manage"


def client_list(*, actor) -> QuerySet[Client]:
    return scope(Client.objects.select_related("department"), actor, perm=PERM, fields=("region_prefix",))


def client_get(*, actor, pk: int) -> Client:
    return get_scoped(Client.objects.select_related("user"), actor, perm=PERM, fields=("region_prefix",), pk=pk)


def dead_letters(*, actor) -> QuerySet[Callback]:
    return scope(Callback.objects.select_related("client").filter(status=CallbackStatus.DEAD), actor, perm=PERM,
                 fields=("client__region_prefix",))


def callback_get(*, actor, pk: int) -> Callback:
    return get_scoped(Callback.objects.select_related("client"), actor, perm=PERM, fields=("client__region_prefix",),
                      pk=pk)


def kept_aside(*, actor) -> QuerySet[DepartmentEvent]:
    return scope(DepartmentEvent.objects.select_related("client").filter(status=PushStatus.UNMATCHED), actor,
                 perm=PERM, fields=("client__region_prefix",))
