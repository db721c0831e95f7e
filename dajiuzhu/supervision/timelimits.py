"""Step time limits (时限): where each step of a case stands, the overdue scan, and step durations.

Steps are derived from the cases' own timeline (``cases.selectors.step_timeline``: one grouped query):

=================  ===========================================  ==============================================
step               begins                                        ends
=================  ===========================================  ==============================================
township_review    acceptance (the case is created)              the township opinion (or withdrawal)
public_notice      the notice is published                       the notice is closed (or an objection)
decision           the notice closed (awaiting the decision)     the decision
decision_notice    the decision                                  the decision notice is issued
whole              acceptance                                    the decision
=================  ===========================================  ==============================================

A case's limit for a step is the strictest of its check-first items' limits (``StepLimit``, per county,
item and step). Working days follow the county's calendar; the day a step began is not counted.
A *minimum* (the public notice's 7 calendar days) is never overdue: it tells the earliest day to close.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from dajiuzhu.cases import selectors as case_selectors
from dajiuzhu.core.audit import audit_record

from .calendar import calendar_for
from .models import LimitKind, OverdueStep, Step, StepLimit, Unit

STEP_ORDER = [Step.TOWNSHIP_REVIEW, Step.PUBLIC_NOTICE, Step.DECISION, Step.DECISION_NOTICE, Step.WHOLE]


def _local(moment) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def step_bounds(row: dict) -> dict[str, tuple]:
    """{step: (start moment, end moment or None, who is responsible)} for one timeline row."""
    out: dict[str, tuple] = {}
    withdrawn = row.get("withdrawn_at")
    created, decided = row["created_at"], row.get("decided_at")
    end_review = row.get("reviewed_at") or withdrawn or decided
    out[Step.TOWNSHIP_REVIEW] = (created, end_review, row.get("reviewer_id") or row.get("created_by_id"))
    if row.get("notice_from"):
        ended = row.get("notice_to")
        out[Step.PUBLIC_NOTICE] = (row["notice_from"], ended if ended and ended >= row["notice_from"] else None,
                                   row.get("created_by_id"))
    if row.get("awaiting_from"):
        ended = decided if decided and decided >= row["awaiting_from"] else withdrawn
        out[Step.DECISION] = (row["awaiting_from"], ended, row.get("decider_id"))
    if decided and row.get("status") in ("decided", "notified"):
        out[Step.DECISION_NOTICE] = (decided, row.get("notified_at"), row.get("created_by_id"))
    out[Step.WHOLE] = (created, decided or withdrawn, row.get("decider_id") or row.get("created_by_id"))
    return out


@dataclasses.dataclass
class OpenStep:
    case_id: int
    number: str
    region_code: str
    township_code: str
    step: str
    started: dt.datetime
    due: dt.date
    days: int
    unit: str
    kind: str
    days_left: int
    handler_id: int | None

    @property
    def overdue(self) -> bool:
        return self.kind == LimitKind.MAXIMUM and self.days_left < 0

    @property
    def step_label(self) -> str:
        return Step(self.step).label


def _limits(county_codes) -> dict[tuple[str, int, str], StepLimit]:
    return {(lim.county_code, lim.item_id, lim.step): lim
            for lim in StepLimit.objects.filter(county_code__in=list(county_codes))}


def open_steps(*, region_prefix: str = "", on: dt.date | None = None, case_ids=None) -> list[OpenStep]:
    """Every open step with a limit under ``region_prefix`` (or of ``case_ids``), with its days left
    (negative: overdue by that many days)."""
    on = on or timezone.localdate()
    rows = list(case_selectors.step_timeline(region_prefix=region_prefix, open_only=True, case_ids=case_ids))
    if not rows:
        return []
    items: dict[int, list[int]] = defaultdict(list)
    for case_id, item_id in case_selectors.check_first_items(case_ids=[r["id"] for r in rows]):
        items[case_id].append(item_id)
    limits = _limits({r["region_code"][:6] for r in rows})
    calendars = {}
    result = []
    for row in rows:
        county = row["region_code"][:6]
        cal = calendars.get(county) or calendars.setdefault(county, calendar_for(county))
        for step, (start, end, who) in step_bounds(row).items():
            if end is not None or start is None:
                continue
            found = [lim for item_id in items[row["id"]] if (lim := limits.get((county, item_id, step)))]
            if not found:
                continue
            lim = min(found, key=lambda x: (x.kind != LimitKind.MAXIMUM, x.days))
            begun = _local(start)
            due = cal.add(begun, lim.days) if lim.unit == Unit.WORKING else begun + dt.timedelta(days=lim.days)
            if lim.unit == Unit.WORKING:
                left = cal.between(on, due) if due >= on else -cal.between(due, on)
            else:
                left = (due - on).days
            result.append(OpenStep(case_id=row["id"], number=row["number"], region_code=row["region_code"],
                                   township_code=row["accepted_region_code"][:9] + "000", step=step, started=start,
                                   due=due, days=lim.days, unit=lim.unit, kind=lim.kind, days_left=left,
                                   handler_id=who))
    result.sort(key=lambda s: (s.days_left, s.case_id))
    return result


def _warned_prefix(step: OpenStep) -> str:
    """The level above the one responsible: the county for a township's step, the city for the county's."""
    if step.step in (Step.DECISION, Step.WHOLE):
        return step.region_code[:4]
    return step.region_code[:6]


@transaction.atomic
def overdue_scan(*, region_prefix: str = "", on: dt.date | None = None) -> dict:
    """Record every open step past its limit (idempotent: one row per case, step and start) and close the
    rows of steps that have ended; a new overdue step warns the level above (``warned_prefix``)."""
    on = on or timezone.localdate()
    now = timezone.now()
    overdue = [s for s in open_steps(region_prefix=region_prefix, on=on) if s.overdue]
    keys = {(s.case_id, s.step, s.started) for s in overdue}
    existing = OverdueStep.objects.filter(closed_at__isnull=True)
    if region_prefix:
        existing = existing.filter(region_code__startswith=region_prefix)
    known = {(o.case_id, o.step, o.started_at): o for o in existing}
    new = [OverdueStep(case_id=s.case_id, case_number=s.number, step=s.step, region_code=s.region_code,
                       township_code=s.township_code, handler_id=s.handler_id, started_at=s.started, due_on=s.due,
                       days=s.days, found_on=on, warned_prefix=_warned_prefix(s), warned_at=now)
           for s in overdue if (s.case_id, s.step, s.started) not in known]
    OverdueStep.objects.bulk_create(new, ignore_conflicts=True)
    ended = [o.pk for key, o in known.items() if key not in keys]
    OverdueStep.objects.filter(pk__in=ended).update(closed_at=now)
    result = {"on": on.isoformat(), "region_prefix": region_prefix, "overdue": len(overdue), "new": len(new),
              "closed": len(ended)}
    audit_record(actor=None, action="supervision.overdue_scan", object_type="supervision.overduestep",
                 region_code=region_prefix, new=result)
    return result


def step_durations(*, region_prefix: str, since: dt.datetime, until: dt.datetime):
    """Steps that ended in [since, until): arrays (handler ids, township codes, steps, working days taken,
    overdue flags) — computed with numpy on the one grouped timeline query."""
    import numpy as np

    rows = list(case_selectors.step_timeline(region_prefix=region_prefix, since=since, until=until))
    items: dict[int, list[int]] = defaultdict(list)
    if rows:
        for case_id, item_id in case_selectors.check_first_items(case_ids=[r["id"] for r in rows]):
            items[case_id].append(item_id)
    limits = _limits({r["region_code"][:6] for r in rows})
    handlers, townships, steps, starts, ends, counties, limit_days = [], [], [], [], [], [], []
    for row in rows:
        county = row["region_code"][:6]
        for step, (start, end, who) in step_bounds(row).items():
            if end is None or start is None or not (since <= end < until):
                continue
            found = [lim.days for item_id in items[row["id"]]
                     if (lim := limits.get((county, item_id, step))) and lim.kind == LimitKind.MAXIMUM]
            handlers.append(who or 0)
            townships.append(row["accepted_region_code"][:9] + "000")
            steps.append(step)
            starts.append(_local(start).toordinal())
            ends.append(_local(end).toordinal())
            counties.append(county)
            limit_days.append(min(found) if found else 10**6)
    taken = np.zeros(len(steps), dtype=np.int64)
    for county in set(counties):
        mask = np.asarray([c == county for c in counties])
        taken[mask] = calendar_for(county).between_many(np.asarray(starts)[mask], np.asarray(ends)[mask])
    return {"handler": np.asarray(handlers, dtype=np.int64), "township": np.asarray(townships, dtype=object),
            "step": np.asarray(steps, dtype=object), "days": taken,
            "overdue": taken > np.asarray(limit_days, dtype=np.int64)}
