"""Who may manage the exchange: county administrators of the client's region (``accounts.manage``)."""

from __future__ import annotations

from dajiuzhu.core.scoping import region_in_scope


def can_manage_client(actor, client) -> bool:
    return region_in_scope(actor, client.region_prefix, perm="accounts.manage")
