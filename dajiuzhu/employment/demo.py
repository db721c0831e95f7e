"""Demo data of jobs and training, through the services: a public-welfare post filled from the roster's candidates
(placed at the start of last month, wages of last month and this month recorded, so the household's per-capita
income in the next rules evaluation is higher), a second post, and a training course that ended ten days ago
with its attendance recorded (completions and one who did not complete).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dajiuzhu.accounts.models import Department, User
from dajiuzhu.core.demo import DemoContext
from dajiuzhu.core.regioncodes import pad
from dajiuzhu.registry.facts import household_facts

from . import selectors, services


def seed(ctx: DemoContext) -> dict:
    admin = User.objects.filter(role="county_admin", region_id=pad(ctx.county_code[:6])).order_by("id").first()
    if admin is None:
        return {}
    today = ctx.today
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    hr = Department.objects.get(code="hr_social_security")
    found = selectors.candidates(actor=admin, on=last_month, limit=40)
    if not found:
        ctx.log("employment: no candidate on the roster")
        return {}
    first = found[0]
    job = services.job_create(actor=admin, title="村级保洁员", region_code=first["household"].region_code,
                              department=hr, hours_per_month=80, monthly_pay="800.00", positions=2,
                              start=last_month - dt.timedelta(days=30))
    services.job_create(actor=admin, title="乡村道路养护员", region_code=pad(first["household"].region_code[:9]),
                        department=Department.objects.get(code="civil_affairs"), hours_per_month=96,
                        monthly_pay="960.00", positions=3, start=last_month)
    before = household_facts(first["household"].pk, on=today)["per_capita_income"]
    placement = services.placement_create(actor=admin, job=job, person=first["person"], start=last_month,
                                          contract_number=f"GYGW-{today.year}-0001",
                                          contract_end=dt.date(today.year + 1, last_month.month, 1)
                                          - dt.timedelta(days=1))
    services.wage_record(actor=admin, placement=placement, month=last_month, days_worked=22, amount="800.00")
    services.wage_record(actor=admin, placement=placement, month=this_month, days_worked=min(today.day, 20),
                         amount=str((Decimal("800.00") * min(today.day, 20) / 22).quantize(Decimal("0.01"))))
    after = household_facts(first["household"].pk, on=today)["per_capita_income"]
    course = services.course_create(actor=admin, name="家政服务员（育婴、养老护理）技能培训", provider="临邑县职业教育中心",
                                    region_code=pad(first["household"].region_code[:9]),
                                    start=today - dt.timedelta(days=24), end=today - dt.timedelta(days=10), days=12,
                                    capacity=30)
    completed = 0
    for index, candidate in enumerate(found[1:5]):
        enrolment = services.enrolment_create(actor=admin, course=course, person=candidate["person"])
        attended = 12 if index < 2 else (10 if index == 2 else 6)
        enrolment = services.enrolment_complete(actor=admin, enrolment=enrolment, days_attended=attended, on=today,
                                                certificate=f"JZPX-{today.year}-{index + 1:03d}" if attended >= 10
                                                else "")
        completed += enrolment.completed_on is not None
    out = {"placed": first["person"].name, "per_capita_before": str(before), "per_capita_after": str(after),
           "course_completed": completed}
    ctx.log(f"employment: {out}")
    return out
