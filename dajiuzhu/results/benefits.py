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

    qs = (case_benefits(on=month, region_prefix=region_prefix)
          .select_related("item", "item__category", "case", "household").annotate(n_covered=Count("covered")))
    return [benefit_of(ci) for ci in qs if ci.item.periodic and ci.item.kind != "service"]


def benefit_of(case_item) -> Benefit:
    """A ``Benefit`` from a ``cases.CaseItem`` (with its item, case and household)."""
    from .items import info_of

    info = info_of(case_item.item)
    household = case_item.household
    covered = getattr(case_item, "n_covered", None)
    if covered is None:
        covered = case_item.covered.count()
    return Benefit(
        household_id=case_item.household_id, item_code=info.code, amount=case_item.amount or Decimal("0"),
        region_code=household.region_code, item_name=info.name, category=info.category, tier=info.tier,
        persons=covered or 1, payee_id=household.head_id or case_item.case.applicant_id, case_id=case_item.case_id,
        case_item_id=case_item.pk, status=case_item.status, periodic=info.periodic,
    )


def case_item_statuses(ids: list[int]) -> dict[int, str]:
    """The current status of each case item (empty until cases is installed)."""
    if not ids or not _cases_available():
        return {}
    from dajiuzhu.cases.models import CaseItem

    return dict(CaseItem.objects.filter(pk__in=ids).values_list("pk", "status"))
