"""The benefits in force, as the payment batches see them (an adapter over the cases app).

``active_benefits(month=, region_prefix=)`` reads ``cases.selectors.active_benefits`` (approved
and in force on the month's first day) and turns each case item into a ``Benefit``;
``case_item_statuses(ids)`` tells the batch check which of them were revoked since.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Benefit:
    household_id: int
    item_code: str
    amount: Decimal
    region_code: str = ""
    item_name: str = ""
    category: str = ""
    tier: str = ""
    persons: int = 1
    payee_id: int | None = None
    case_id: int | None = None
    case_item_id: int | None = None
    status: str = "approved"
    periodic: bool = True


def _cases_available() -> bool:
    try:
        from dajiuzhu.cases import selectors  # noqa: F401
    except ImportError:
        return False
    return hasattr(selectors, "active_benefits")


def active_benefits(*, month: dt.date, region_prefix: str = "") -> list[Benefit]:
    """Periodic benefits in force on the first day of ``month`` (empty until cases is installed)."""
    if not _cases_available():
        return []
    from django.db.models import Count

    from dajiuzhu.cases.selectors import active_benefits as case_benefits

    qs = case_benefits(on=month, region_prefix=region_prefix).select_related("item", "case", "household")
    out = []
    for ci in qs.annotate(n_covered=Count("covered")):
        item = ci.item
        if not getattr(item, "periodic", True):
            continue
        household = ci.household
        out.append(Benefit(
            household_id=ci.household_id, item_code=item.code, amount=ci.amount or Decimal("0"),
            region_code=household.region_code, item_name=getattr(item, "name", item.code),
            category=getattr(item, "category", "") or "", tier=getattr(item, "tier", "") or "",
            persons=ci.n_covered or 1, payee_id=household.head_id or ci.case.applicant_id,
            case_id=ci.case_id, case_item_id=ci.pk, status=ci.status, periodic=True,
        ))
    return out


def case_item_statuses(ids: list[int]) -> dict[int, str]:
    """The current status of each case item (empty until cases is installed)."""
    if not ids or not _cases_available():
        return {}
    from dajiuzhu.cases.models import CaseItem

    return dict(CaseItem.objects.filter(pk__in=ids).values_list("pk", "status"))
