"""Demo data of the alerts: the flood in the planted township, the scan, one visit that led to an application.

The registry demo plants ``disaster`` as a township code (no household facts change): the
county records a flood there three days ago (``DisasterEvent``), then the scan runs for
``ctx.today``. A worker then closes one illness alert with a home visit that led to an
application (raised by the platform, 主动发现), through the cases service when it is there.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction

from dajiuzhu.accounts.models import User
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.regioncodes import pad

from .models import Alert
from .scan import alerts_scan
from .services import disaster_record, followup_record, ruleset_bootstrap


def _county_admin(ctx: DemoContext) -> User | None:
    return User.objects.filter(role="county_admin", region_id=pad(ctx.county_code[:6])).order_by("id").first()


def _apply(actor, alert: Alert, log) -> int | None:
    """An application of the household through the cases service (None when cases cannot take it)."""
    from dajiuzhu.indices.integration import model_ready

    if not model_ready("cases.Case"):
        return None
    try:
        from dajiuzhu.cases.services import application_submit

        with transaction.atomic():
            case = application_submit(actor=actor, household=alert.household, item_codes=["temp_expenditure"],
                                      promise_signed=True, authorisation_signed=True, channel="proactive",
                                      note="主动发现：预警入户核实后代为申请")
    except Exception as exc:  # noqa: BLE001 - the demo goes on without the application
        log(f"alerts: no application ({exc})")
        return None
    return case.pk


def seed(ctx: DemoContext) -> None:
    started = time.perf_counter()
    ruleset_bootstrap()
    admin = _county_admin(ctx)
    for township in ctx.planted.get("disaster", []):
        disaster_record(actor=admin, region_code=township, kind="flood", occurred_on=ctx.today - dt.timedelta(days=3),
                        description="暴雨洪涝，部分房屋进水受损")
    counts = alerts_scan(on=ctx.today, region_prefix=ctx.county_code[:6])
    planted = {kind: set(ids) for kind, ids in ctx.planted.items() if kind != "disaster"}
    alerted = set(Alert.objects.filter(on=ctx.today).values_list("household_id", flat=True))
    found = {kind: f"{len(ids & alerted)}/{len(ids)}" for kind, ids in sorted(planted.items())}
    ctx.log(f"alerts: {counts['alerts']:,} alerts ({counts['signals']:,} signals) for {counts['households']:,} "
            f"households; planted cases alerted: {found}")
    stable_signals = sorted({s["code"] for a in Alert.objects.filter(household_id__in=planted.get("stable", ()))
                             for s in a.signals})
    if stable_signals:
        ctx.log(f"alerts: stable households alerted only for {', '.join(stable_signals)} (not a change of their own)")
    illness = Alert.objects.filter(household_id__in=planted.get("illness", ()), status=Alert.Status.OPEN) \
        .select_related("household", "assigned_to").order_by("id")
    alert = illness.filter(assigned_to__role="village_worker").first() or illness.first()
    if alert is not None:
        actor = alert.assigned_to if alert.assigned_to and alert.assigned_to.has_perm_code("cases.create") else admin
        case_id = _apply(actor, alert, ctx.log)
        if case_id:
            followup_record(actor=actor, alert=alert, visited_on=ctx.today, outcome="assisted", case_id=case_id,
                            notes="入户核实：家庭成员患重病，自付医疗费用高，已代为申请临时救助")
        else:
            followup_record(actor=actor, alert=alert, visited_on=ctx.today, outcome="referred",
                            organisation="县慈善总会", notes="入户核实：家庭成员患重病，已转介慈善医疗救助")
        ctx.log(f"alerts: alert {alert.pk} closed after a visit ({'application ' + str(case_id) if case_id else 'referred'})")
    ctx.log(f"alerts: done in {time.perf_counter() - started:.1f} s")
