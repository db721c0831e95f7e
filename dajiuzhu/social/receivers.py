"""A case decision that includes a service (特困 care) orders it from the project that serves the item.

Connected in ``SocialConfig.ready()`` to ``cases.signals.case_item_decided`` (sent on commit).
"""

from __future__ import annotations

import logging

from django.db import transaction

from dajiuzhu.core.errors import DomainError

log = logging.getLogger(__name__)


def on_case_item_decided(sender, case_item, outcome, **kwargs) -> None:
    """Never lets the decision fail: an order that cannot be made is logged (ids only) and left to dispatch."""
    from .services import order_from_case_item  # services import results and cases models: loaded after apps

    if str(outcome) != "approved":
        return
    try:
        with transaction.atomic():
            order_from_case_item(case_item=case_item)
    except DomainError as exc:
        log.warning("no service order for case item %s: %s", case_item.pk, exc.message)


def connect() -> None:
    from dajiuzhu.cases import signals

    signals.case_item_decided.connect(on_case_item_decided, dispatch_uid="social.case_item_decided")
