"""Working days and the time limits of the steps: worked examples with the 2026 calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.supervision.calendar import calendar_for, holidays_replace, step_limit_set
from dajiuzhu.supervision.models import Holiday, OverdueStep, Step, StepLimit
from dajiuzhu.supervision.timelimits import open_steps, overdue_scan

from .conftest import COUNTY, at, set_times, tekun_case, walk_to_review

pytestmark = pytest.mark.django_db
D = dt.date


def test_working_days_follow_the_2026_holidays_and_make_up_days(catalogue):
    cal = calendar_for(COUNTY)
    # 国庆: 1–7 October off; Sunday 20 September and Saturday 10 October are working days.
    assert not cal.is_working(D(2026, 10, 1)) and not cal.is_working(D(2026, 10, 7))
    assert cal.is_working(D(2026, 9, 20)) and cal.is_working(D(2026, 10, 10))
    assert not cal.is_working(D(2026, 10, 11))  # an ordinary Sunday
    # From Wednesday 30 September: the 1st working day after is Thursday 8 October, the 3rd is Saturday 10.
    assert cal.add(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # 春节: 15–23 February off, Saturday 14 and Saturday 28 worked. 10 working days from Friday 13 February:
    # 14, 24, 25, 26, 27, 28 February, 2, 3, 4, 5 March.
    assert cal.add(D(2026, 2, 13), 10) == D(2026, 3, 5)
    assert cal.between(D(2026, 2, 13), D(2026, 3, 5)) == 10
    assert list(cal.between_many([D(2026, 2, 13).toordinal()], [D(2026, 3, 5).toordinal()])) == [10]


def test_an_overlapping_calendar_is_refused_and_nothing_changes(catalogue, county_admin):
    before = list(Holiday.objects.filter(county_code=COUNTY).values_list("name", "starts_on", "ends_on"))
    rows = [{"name": "国庆节", "kind": "holiday", "starts_on": "2026-10-01", "ends_on": "2026-10-07"},
            {"name": "中秋节", "kind": "holiday", "starts_on": "2026-10-06", "ends_on": "2026-10-08"}]
    with pytest.raises(DomainError) as err:
        holidays_replace(actor=county_admin, year=2026, rows=rows)
    assert "row 1" in err.value.message and "row 2" in err.value.message and "overlaps" in err.value.message
    with pytest.raises(DomainError, match="ends before it starts"):
        holidays_replace(actor=county_admin, year=2026,
                         rows=[{"name": "x", "kind": "holiday", "starts_on": "2026-10-05", "ends_on": "2026-10-01"}])
    assert list(Holiday.objects.filter(county_code=COUNTY).values_list("name", "starts_on", "ends_on")) == before
    holidays_replace(actor=county_admin, year=2026, rows=rows[:1])
    assert Holiday.objects.filter(county_code=COUNTY, starts_on__year=2026).count() == 1
    assert AuditEvent.objects.filter(action="supervision.holidays_replace").exists()


@pytest.mark.parametrize("days", [0, -3, "x"])
def test_a_zero_or_negative_limit_is_refused_and_nothing_changes(catalogue, county_admin, days):
    before = StepLimit.objects.get(county_code=COUNTY, item__code="dibao", step=Step.DECISION).days
    with pytest.raises(DomainError) as err:
        step_limit_set(actor=county_admin, item_code="dibao", step=Step.DECISION, days=days)
    assert err.value.field == "days"
    assert StepLimit.objects.get(county_code=COUNTY, item__code="dibao", step=Step.DECISION).days == before


def test_only_the_county_sets_limits(catalogue, linyi_handler, supervisor):
    for actor in (linyi_handler, supervisor):
        with pytest.raises(Forbidden):
            step_limit_set(actor=actor, item_code="dibao", step=Step.DECISION, days=5)


def test_open_steps_show_days_left_and_the_scan_is_idempotent(catalogue, linyi_handler, xinglong_handler):
    # 特困: township 20 working days. Accepted Friday 11 September 2026: 14–18 September (5), Sunday 20
    # (make-up, 6), 21–24 (10; 25 is 中秋), 28–30 (13), 8–9 October (15; 1–7 off), Saturday 10 (make-up, 16),
    # 12–15 (20): due Thursday 15 October.
    case = tekun_case(linyi_handler)
    set_times(case, at(D(2026, 9, 11)))
    [step] = open_steps(region_prefix=COUNTY, on=D(2026, 10, 8))
    # Left on 8 October: 9, 10, 12, 13, 14, 15.
    assert (step.step, step.due, step.days_left, step.overdue) == (Step.TOWNSHIP_REVIEW, D(2026, 10, 15), 6, False)
    [step] = open_steps(region_prefix=COUNTY, on=D(2026, 10, 19))
    assert step.days_left == -2 and step.overdue  # Friday 16 and Monday 19 past the due day
    first = overdue_scan(region_prefix=COUNTY, on=D(2026, 10, 19))
    again = overdue_scan(region_prefix=COUNTY, on=D(2026, 10, 20))
    assert (first["new"], again["new"]) == (1, 0)
    row = OverdueStep.objects.get()
    assert row.handler == linyi_handler and row.warned_prefix == COUNTY and row.closed_at is None
    # The township opinion ends the step; the next scan closes the row, and the decision step is not open yet.
    walk_to_review(case, xinglong_handler)
    result = overdue_scan(region_prefix=COUNTY, on=D(2026, 10, 21))
    assert result["closed"] == 1
    assert OverdueStep.objects.get().closed_at is not None
    assert [s.step for s in open_steps(region_prefix=COUNTY, on=D(2026, 10, 21))] == []


def test_the_decision_step_runs_from_the_closed_notice(catalogue, linyi_handler, xinglong_handler):
    from dajiuzhu.cases.services import case_transition

    case = tekun_case(linyi_handler)
    walk_to_review(case, xinglong_handler)
    case_transition(actor=xinglong_handler, case=case, step="publish_notice", on=D(2026, 11, 2))
    steps = {s.step: s for s in open_steps(region_prefix=COUNTY, on=D(2026, 11, 3))}
    assert steps[Step.PUBLIC_NOTICE].kind == "minimum" and not steps[Step.PUBLIC_NOTICE].overdue
    case_transition(actor=xinglong_handler, case=case, step="close_notice", on=D(2026, 11, 9))
    set_times(case, at(D(2026, 10, 20)), close_notice=at(D(2026, 11, 9)))
    steps = {s.step: s for s in open_steps(region_prefix=COUNTY, on=D(2026, 12, 8))}
    # 20 working days after Monday 9 November 2026 is Monday 7 December: one day overdue on the 8th.
    assert steps[Step.DECISION].due == D(2026, 12, 7) and steps[Step.DECISION].days_left == -1
    result = overdue_scan(region_prefix=COUNTY, on=D(2026, 12, 8))
    assert result["new"] == 1
    assert OverdueStep.objects.get(step=Step.DECISION).warned_prefix == "3714"  # the city, above the county
