"""A case decision that includes a service (特困 care) orders it from the project that serves the item.

Connected in ``SocialConfig.ready()`` to ``cases.signals.case_item_decided`` (sent on commit).
"""

from __future__ import annotations

from django.db import transaction


def on_case_item_decided(sender, case_item, outcome, **kwargs) -> None:
    from .services import order_from_case_item  # services import results and cases models: loaded after apps

    if str(outcome) != "approved":
        return
    with transaction.atomic():
        order_from_case_item(case_item=case_item)


def connect() -> None:
    from dajiuzhu.cases import signals

    signals.case_item_decided.connect(on_case_item_decided, dispatch_uid="social.case_item_decided")
