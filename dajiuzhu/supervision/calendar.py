"""The county's working calendar and the step time limits (data the county edits)."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import transaction
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError

from .models import Holiday, LimitKind, Step, StepLimit, Unit
from .policies import county_of
from .workdays import OFFICIAL, Calendar


@functools.lru_cache(maxsize=32)
def _calendar(key: tuple) -> Calendar:
    holidays = [(a, b) for kind, a, b in key if kind == Holiday.Kind.HOLIDAY]
    workdays = [(a, b) for kind, a, b in key if kind == Holiday.Kind.WORKDAY]
    return Calendar(holidays, workdays)


def calendar_for(county_code: str) -> Calendar:
    """The county's calendar (one small query; the built calendar is cached by its rows)."""
    rows = tuple(Holiday.objects.filter(county_code=county_code[:6]).order_by("starts_on", "id")
                 .values_list("kind", "starts_on", "ends_on"))
    return _calendar(rows)


def day_rule_for(region_code: str):
    """For ``core.workdays``: the county's working-day rule, or ``None`` when the county keeps no calendar."""
    if len(region_code) < 6 or not Holiday.objects.filter(county_code=region_code[:6]).exists():
        return None
    return calendar_for(region_code).is_working


def _overlaps(rows: list[dict]) -> list[str]:
    """Messages naming each pair of ranges that overlap (rows are numbered from 1 as given)."""
    errors = []
    ordered = sorted(enumerate(rows, 1), key=lambda r: r[1]["starts_on"])
    for (i, a), (j, b) in zip(ordered, ordered[1:], strict=False):
        if b["starts_on"] <= a["ends_on"]:
            errors.append(_("row %(i)s (%(a)s, %(a1)s–%(a2)s) overlaps row %(j)s (%(b)s, %(b1)s–%(b2)s)") % {
                "i": i, "a": a["name"], "a1": a["starts_on"], "a2": a["ends_on"],
                "j": j, "b": b["name"], "b1": b["starts_on"], "b2": b["ends_on"]})
    return errors


def _clean_row(i: int, row: dict) -> dict:
    name = str(row.get("name") or "").strip()
    kind = row.get("kind")
    if not name:
        raise DomainError(_("row %(i)s: give the name") % {"i": i}, field="name")
    if kind not in Holiday.Kind.values:
        raise DomainError(_("row %(i)s: the kind must be a holiday or a make-up working day") % {"i": i},
                          field="kind")
    try:
        starts = row["starts_on"] if isinstance(row["starts_on"], dt.date) else dt.date.fromisoformat(row["starts_on"])
        ends = row["ends_on"] if isinstance(row["ends_on"], dt.date) else dt.date.fromisoformat(row["ends_on"])
    except (KeyError, TypeError, ValueError):
        raise DomainError(_("row %(i)s: the dates must be YYYY-MM-DD") % {"i": i}, field="starts_on") from None
    if ends < starts:
        raise DomainError(_("row %(i)s (%(n)s): it ends before it starts") % {"i": i, "n": name}, field="ends_on")
    return {"name": name, "kind": kind, "starts_on": starts, "ends_on": ends}


@transaction.atomic
def holidays_replace(*, actor, year: int, rows: list[dict]) -> list[Holiday]:
    """Replace the county's calendar of ``year`` with ``rows``; refuses (changing nothing) a row outside the
    year, a range ending before it starts, and any two ranges that overlap (naming both rows)."""
    county = county_of(actor)
    cleaned = [_clean_row(i, row) for i, row in enumerate(rows, 1)]
    for i, row in enumerate(cleaned, 1):
        if row["starts_on"].year != year or row["ends_on"].year != year:
            raise DomainError(_("row %(i)s (%(n)s) is not in %(y)s") % {"i": i, "n": row["name"], "y": year},
                              field="starts_on")
    if errors := _overlaps(cleaned):
        raise DomainError(_("the calendar overlaps itself: %(e)s") % {"e": "; ".join(errors)}, field="rows")
    old = list(Holiday.objects.filter(county_code=county, starts_on__year=year).values("name", "kind", "starts_on",
                                                                                         "ends_on"))
    Holiday.objects.filter(county_code=county, starts_on__year=year).delete()
    created = Holiday.objects.bulk_create([Holiday(county_code=county, **row) for row in cleaned])
    audit_record(actor=actor, action="supervision.holidays_replace", object_type="supervision.holiday",
                 object_id=f"{county}/{year}", region_code=county, old={"rows": old}, new={"rows": cleaned})
    return created


def ensure_official_holidays(county_code: str) -> int:
    """Load the shipped calendars for years the county has none of (demo data; idempotent)."""
    made = 0
    for year, rows in OFFICIAL.items():
        if Holiday.objects.filter(county_code=county_code, starts_on__year=year).exists():
            continue
        Holiday.objects.bulk_create([
            Holiday(county_code=county_code, name=name, kind=kind, starts_on=dt.date.fromisoformat(a),
                    ends_on=dt.date.fromisoformat(b)) for name, kind, a, b in rows])
        made += len(rows)
    return made


@transaction.atomic
def step_limit_set(*, actor, item_code: str, step: str, days, unit: str = Unit.WORKING,
                   kind: str = LimitKind.MAXIMUM) -> StepLimit:
    """Set the time limit of one step of one item in the actor's county; refuses zero or negative days."""
    from dajiuzhu.programs.models import AssistanceItem

    county = county_of(actor)
    if step not in Step.values:
        raise DomainError(_("unknown step %(s)s") % {"s": step}, field="step")
    if unit not in Unit.values or kind not in LimitKind.values:
        raise DomainError(_("the unit or the kind of the limit is not one of the choices"), field="unit")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError(_("the time limit must be a whole number of days"), field="days") from None
    if days <= 0:
        raise DomainError(_("the time limit must be at least 1 day (got %(d)s)") % {"d": days}, field="days")
    if days > 366:
        raise DomainError(_("the time limit must be at most 366 days (got %(d)s)") % {"d": days}, field="days")
    item = AssistanceItem.objects.filter(code=item_code).first()
    if item is None:
        raise DomainError(_("unknown assistance item %(c)s") % {"c": item_code}, field="item")
    limit = StepLimit.objects.filter(county_code=county, item=item, step=step).first()
    old = {"days": limit.days, "unit": limit.unit, "kind": limit.kind} if limit else {}
    limit = limit or StepLimit(county_code=county, item=item, step=step)
    limit.days, limit.unit, limit.kind = days, unit, kind
    limit.save()
    audit_record(actor=actor, action="supervision.step_limit_set", obj=limit, region_code=county, old=old,
                 new={"item": item_code, "step": step, "days": days, "unit": unit, "kind": kind})
    return limit


# Demo limits from DOMAIN.md (working days unless stated).
DEMO_LIMITS = [
    ("dibao", Step.TOWNSHIP_REVIEW, 15, Unit.WORKING, LimitKind.MAXIMUM),
    ("dibao", Step.DECISION, 10, Unit.WORKING, LimitKind.MAXIMUM),
    ("dibao", Step.PUBLIC_NOTICE, 7, Unit.CALENDAR, LimitKind.MINIMUM),
    ("dibao_single", Step.TOWNSHIP_REVIEW, 15, Unit.WORKING, LimitKind.MAXIMUM),
    ("dibao_single", Step.DECISION, 10, Unit.WORKING, LimitKind.MAXIMUM),
    ("dibao_single", Step.PUBLIC_NOTICE, 7, Unit.CALENDAR, LimitKind.MINIMUM),
    ("tekun", Step.TOWNSHIP_REVIEW, 20, Unit.WORKING, LimitKind.MAXIMUM),
    ("tekun", Step.DECISION, 20, Unit.WORKING, LimitKind.MAXIMUM),
    ("tekun", Step.PUBLIC_NOTICE, 7, Unit.CALENDAR, LimitKind.MINIMUM),
    ("tekun_centralised", Step.TOWNSHIP_REVIEW, 20, Unit.WORKING, LimitKind.MAXIMUM),
    ("tekun_centralised", Step.DECISION, 20, Unit.WORKING, LimitKind.MAXIMUM),
    ("temp_emergency", Step.WHOLE, 1, Unit.WORKING, LimitKind.MAXIMUM),
    ("temp_expenditure", Step.WHOLE, 10, Unit.WORKING, LimitKind.MAXIMUM),
]


def ensure_demo_limits(county_code: str) -> int:
    from dajiuzhu.programs.models import AssistanceItem

    items = dict(AssistanceItem.objects.values_list("code", "pk"))
    made = 0
    for code, step, days, unit, kind in DEMO_LIMITS:
        if code in items:
            _, created = StepLimit.objects.get_or_create(county_code=county_code, item_id=items[code], step=step,
                                                         defaults={"days": days, "unit": unit, "kind": kind})
            made += created
    return made
