"""Indices API (/api/v1/indices/): roster, household scores, aggregates — the same selectors as the pages."""


import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.scoping import get_scoped
from dajiuzhu.registry.models import Household

from .catalogue import RISK_TYPES
from .models import Tier
from .selectors import (
    LEVEL_LENGTHS,
    RosterFilters,
    explain_hardship,
    household_scores,
    poverty_aggregates,
    roster,
)

router = Router(tags=["indices"])


def _require(request, code: str) -> None:
    if not request.auth.has_perm_code(code):
        raise Forbidden(_("your role may not do this"))


class RosterEntryOut(Schema):
    household_id: int
    household_number: str = Field(alias="household.number")
    region_code: str
    tier: str
    since: dt.date
    valid_until: dt.date | None
    hardship: float | None = None
    hardship_band: str | None = None
    development: float | None = None
    development_band: str | None = None
    risk_types: list[str] = Field(default_factory=list, description="risk type codes (因病 illness, …)")

    @staticmethod
    def resolve_risk_types(obj) -> list[str]:
        return [c for c in (getattr(obj, "risk_types", "") or "").split(",") if c]


class RosterFilterQuery(Schema):
    tier: str = ""
    region: str = ""
    hardship_band: str = ""
    development_band: str = ""
    risk_type: str = ""


@router.get("/roster", response=list[RosterEntryOut], operation_id="indices_roster_list",
            summary="Low-income roster (open entries) with the latest index bands")
@paginate(PageNumberPagination)
def roster_list(request, query: Query[RosterFilterQuery]):
    _require(request, "indices.view")
    if query.tier and query.tier not in Tier.values:
        raise DomainError(_("unknown tier %(t)s") % {"t": query.tier}, field="tier")
    if query.risk_type and query.risk_type not in RISK_TYPES:
        raise DomainError(_("unknown risk type %(t)s") % {"t": query.risk_type}, field="risk_type")
    return roster(actor=request.auth, filters=RosterFilters(**query.dict()))


class IndexExplanationOut(Schema):
    code: str
    state: str
    weight: float
    g: float | None
    text: str


class IndexScoreOut(Schema):
    on: dt.date
    hardship: float | None
    hardship_band: str
    hardship_coverage: float
    poor: bool
    hardship_version: int = Field(alias="hardship_model.version")
    development: float | None
    development_band: str
    development_coverage: float
    development_version: int = Field(alias="development_model.version")
    risk_types: list[str]
    explanation: list[IndexExplanationOut]

    @staticmethod
    def resolve_risk_types(obj) -> list[str]:
        return [c for c in obj.risk_types.split(",") if c]

    @staticmethod
    def resolve_explanation(obj) -> list[dict]:
        return explain_hardship(obj)


@router.get("/households/{household_id}/scores", response=list[IndexScoreOut], operation_id="indices_household_scores",
            summary="Both indices of one household over time, with the breakdown in words")
def household_score_list(request, household_id: int):
    _require(request, "indices.view")
    household = get_scoped(Household.objects.all(), request.auth, perm="indices.view", pk=household_id)
    return list(household_scores(household))


class PovertyAggregateRowOut(Schema):
    prefix: str
    n: float
    q: float
    H: float
    A: float
    M0: float
    censored: list[float]
    contribution: list[float]


class PovertyAggregatesOut(Schema):
    on: dt.date | None
    indicators: list[str]
    rows: list[PovertyAggregateRowOut]
    total: PovertyAggregateRowOut | None


@router.get("/aggregates", response=PovertyAggregatesOut, operation_id="indices_aggregates",
            summary="Headcount H, intensity A and M0 by region prefix and indicator")
def aggregates(request, level: int = 9, weight: str = "people", on: dt.date | None = None):
    _require(request, "indices.view")
    if level not in LEVEL_LENGTHS:
        raise DomainError(_("level must be one of 2, 4, 6, 9, 12"), field="level")
    if weight not in ("people", "households"):
        raise DomainError(_("weight must be people or households"), field="weight")
    data = poverty_aggregates(actor=request.auth, on=on, level=level, weight=weight)
    total = {"prefix": "", **data["total"]} if data["total"] else None
    return {"on": data["on"], "indicators": [i["code"] for i in data["indicators"]], "rows": data["rows"],
            "total": total}
