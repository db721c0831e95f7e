"""The dashboard figures as JSON: the same data the page draws."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from .selectors import dashboard_data

router = Router(tags=["dashboards"])


class DashboardOut(Schema):
    region: dict[str, Any]
    parent: dict[str, Any] | None
    refreshed_at: str | None
    period: str
    summary: dict[str, float | None]
    tiers: list[dict[str, Any]]
    items: list[dict[str, Any]]
    spending_by_month: dict[str, Any]
    material_service: list[dict[str, Any]]
    cases_by_month: dict[str, Any]
    decisions: list[dict[str, Any]]
    alerts_by_level: list[dict[str, Any]]
    alerts_by_outcome: list[dict[str, Any]]
    risk_types: list[dict[str, Any]]
    roster_tiers: list[dict[str, Any]]
    index_hardship: list[dict[str, Any]]
    index_development: list[dict[str, Any]]
    children: list[dict[str, Any]]


@router.get("/{code}", response=DashboardOut, operation_id="dashboard_get",
            summary="Dashboard figures of a region (404 outside the jurisdiction)")
def dashboard_get(request, code: str, period: str = ""):
    return dashboard_data(actor=request.auth, code=code, period=period)
