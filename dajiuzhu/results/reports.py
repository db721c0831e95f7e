"""The monthly statistical report (民政统计报表, social assistance part), from the records.

For a county (one row per township) or a township (one row per village), for one month:
urban and rural 低保 households, persons, spending this month and cumulative since January;
特困 persons and spending; 临时救助 times and spending; orphans; disability allowances.
A household counts once per line and month; its persons are the members its benefit covers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.money import money
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.regions.models import Region

from .items import report_line
from .models import AssistanceRecord, RecordStatus
from .selectors import in_month, month_bounds

# (line, urban or None, columns): the report's column groups, in order.
GROUPS = [
    ("dibao_urban", "城市最低生活保障", ["户数", "人数", "本月支出", "累计支出"]),
    ("dibao_rural", "农村最低生活保障", ["户数", "人数", "本月支出", "累计支出"]),
    ("tekun", "特困人员救助供养", ["人数", "本月支出", "累计支出"]),
    ("temporary", "临时救助", ["人次", "本月支出", "累计支出"]),
    ("orphan", "孤儿（含事实无人抚养儿童）", ["人数", "本月支出", "累计支出"]),
    ("disability", "残疾人两项补贴", ["人数", "本月支出", "累计支出"]),
]


def _group_of(item_code: str, tier: str, category: str, is_urban: bool) -> str:
    line = report_line(item_code, tier, category)
    if line == "dibao":
        return "dibao_urban" if is_urban else "dibao_rural"
    return line


def monthly_report(*, actor, region_code: str, month: str) -> dict:
    """The figures of the report; 404 for a region outside the actor's jurisdiction."""
    region = Region.objects.filter(code=region_code).first()
    if region is None or not region_in_scope(actor, region_code, perm="results.view"):
        raise Http404("No report for this region.")
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP):
        raise Http404("The report is made for a city, a county or a township.")
    start, end = month_bounds(month)
    year_start = dt.date(start.year, 1, 1)
    child_len = regioncodes.PREFIX_LENGTHS[region.level + 1]
    base = AssistanceRecord.objects.filter(region_code__startswith=region.prefix, status=RecordStatus.GIVEN)

    # This month: households and persons need one row per household and line.
    per_household: dict[tuple[str, str, int], int] = {}
    times: dict[tuple[str, str], int] = defaultdict(int)
    spent_month: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for child, household_id, item, tier, category, urban, persons, amount in (
        base.filter(in_month(start, end)).annotate(child=Substr("region_code", 1, child_len))
        .values_list("child", "household_id", "item_code", "tier", "category", "is_urban", "persons", "amount")
    ):
        group = _group_of(item, tier, category, urban)
        if not group:
            continue
        key = (child, group, household_id)
        per_household[key] = max(per_household.get(key, 0), persons or 1)
        times[(child, group)] += 1
        spent_month[(child, group)] += amount
    households: dict[tuple[str, str], int] = defaultdict(int)
    persons_by: dict[tuple[str, str], int] = defaultdict(int)
    for (child, group, _household), persons in per_household.items():
        households[(child, group)] += 1
        persons_by[(child, group)] += persons
    # Cumulative since January (to the end of the month): sums only.
    cumulative: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for child, item, tier, category, urban, amount in (
        base.filter(in_month(year_start, end)).annotate(child=Substr("region_code", 1, child_len))
        .values("child", "item_code", "tier", "category", "is_urban").annotate(total=Sum("amount"), n=Count("id"))
        .values_list("child", "item_code", "tier", "category", "is_urban", "total")
    ):
        group = _group_of(item, tier, category, urban)
        if group:
            cumulative[(child, group)] += amount or Decimal(0)

    def values_for(child: str) -> list:
        out: list = []
        for group, _label, cols in GROUPS:
            key = (child, group)
            if cols[0] == "户数":
                out += [households[key], persons_by[key]]
            elif cols[0] == "人次":
                out += [times[key]]
            else:
                out += [persons_by[key]]
            out += [money(spent_month[key]), money(cumulative[key])]
        return out

    children = list(Region.objects.filter(parent=region).order_by("code").values_list("prefix", "name"))
    rows = [{"code": prefix, "name": name, "values": values_for(prefix)} for prefix, name in children]
    width = sum(len(cols) for _g, _l, cols in GROUPS)
    total_values = [sum((row["values"][i] for row in rows), start=type(rows[0]["values"][i])(0)) if rows else 0
                    for i in range(width)]
    social = _social_services(base=base, start=start, end=end, child_len=child_len, children=children,
                              region=region)
    return {
        "social": social,
        "sheet": f"{start:%Y-%m}",
        "title": _("Social assistance statistics, monthly (民政统计报表)"),
        "unit": _("Reporting unit: %(name)s civil affairs") % {"name": region.name},
        "period_label": _("%(year)d year %(month)d month") % {"year": start.year, "month": start.month},
        "money_unit": _("Amounts in yuan"),
        "area_label": _("Area"),
        "footer": _("Prepared by: ______  Checked by: ______  Date: %(date)s") % {"date": dt.date.today().isoformat()},
        "groups": [(label, cols) for _g, label, cols in GROUPS],
        "group_keys": [g for g, _l, _c in GROUPS],
        "region": region,
        "month": f"{start:%Y-%m}",
        "rows": rows,
        "total": {"code": region.prefix, "name": _("Total"), "values": total_values},
    }


SOCIAL_GROUPS = [
    ("service", "社会组织服务类救助", ["服务人次", "服务户数", "服务时长（小时）", "服务价值"]),
    ("charity", "慈善物资（微心愿等）", ["件次", "户数", "价值"]),
]


def _social_services(*, base, start: dt.date, end: dt.date, child_len: int, children, region) -> dict:
    """The social-assistance-services sheet (服务类救助): services given by social organisations and goods from
    social sources (charity, small wishes) in the month, per area — from the records, like the main sheet."""
    month = base.filter(in_month(start, end), source="social_org").annotate(child=Substr("region_code", 1, child_len))
    figures: dict[tuple[str, str], list] = {}
    for child, kind, times, households, hours, value in (
        month.values("child", "kind").annotate(n=Count("id"), h=Count("household_id", distinct=True),
                                               hours=Sum("service_hours"), v=Sum("amount"))
        .values_list("child", "kind", "n", "h", "hours", "v")
    ):
        group = "service" if kind == "service" else "charity"
        row = figures.setdefault((child, group), [0, 0, Decimal(0), Decimal(0)])
        row[0] += times
        row[1] += households
        row[2] += hours or Decimal(0)
        row[3] += value or Decimal(0)

    def values_for(child: str) -> list:
        service = figures.get((child, "service"), [0, 0, Decimal(0), Decimal(0)])
        charity = figures.get((child, "charity"), [0, 0, Decimal(0), Decimal(0)])
        return [service[0], service[1], money(service[2]), money(service[3]), charity[0], charity[1],
                money(charity[3])]

    rows = [{"code": prefix, "name": name, "values": values_for(prefix)} for prefix, name in children]
    width = sum(len(cols) for _g, _l, cols in SOCIAL_GROUPS)
    total = [sum((row["values"][i] for row in rows), start=type(rows[0]["values"][i])(0)) if rows else 0
             for i in range(width)]
    return {
        "sheet": f"{start:%Y-%m} 服务类救助",
        "title": _("Social assistance services, monthly (服务类救助)"),
        "unit": _("Reporting unit: %(name)s civil affairs") % {"name": region.name},
        "period_label": _("%(year)d year %(month)d month") % {"year": start.year, "month": start.month},
        "money_unit": _("Amounts in yuan"),
        "area_label": _("Area"),
        "footer": _("Prepared by: ______  Checked by: ______  Date: %(date)s") % {"date": dt.date.today().isoformat()},
        "groups": [(label, cols) for _g, label, cols in SOCIAL_GROUPS],
        "rows": rows,
        "total": {"code": region.prefix, "name": _("Total"), "values": total},
    }
