"""The security probe's objects of the employment app: a job, a placement, a course and an enrolment of
兴隆镇, built through the app's services (see dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_VILLAGE, make_household, make_user, member_input


def _employment(world) -> None:
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department
    from dajiuzhu.employment import services

    ensure_departments()
    admin = make_user("county_admin", LINYI_COUNTY, username="probe-employment-admin")
    today = timezone.localdate()
    job = services.job_create(actor=admin, title="探针乙保洁岗", region_code=XINGLONG_VILLAGE,
                              department=Department.objects.get(code="hr_social_security"), hours_per_month=80,
                              monthly_pay="800.00", positions=2, start=today - dt.timedelta(days=90))
    household = make_household(XINGLONG_VILLAGE, members=[
        member_input("探针乙求职者", age=40, labour="full", employment="unemployed"),
        member_input("探针乙学员", relation="spouse", sex="F", age=38, labour="full", employment="unemployed")],
        as_of=today - dt.timedelta(days=60))
    worker, trainee = household.members.get(relation="head"), household.members.get(relation="spouse")
    start = today - dt.timedelta(days=30)
    placement = services.placement_create(actor=admin, job=job, person=worker, start=start,
                                          contract_number="探针乙合同001", contract_end=start + dt.timedelta(days=365))
    course = services.course_create(actor=admin, name="探针乙家政培训", provider="临邑县职业培训学校",
                                    region_code=XINGLONG_VILLAGE, start=today - dt.timedelta(days=20),
                                    end=today - dt.timedelta(days=10), days=10, capacity=20)
    enrolment = services.enrolment_create(actor=admin, course=course, person=trainee)
    world.ids.update({"employment_job": job.pk, "employment_placement": placement.pk, "employment_course": course.pk,
                      "employment_enrolment": enrolment.pk, "employment_enrolment_action": "complete"})
    world.objects += [job, placement, course, enrolment]
    world.markers += ["探针乙保洁岗", "探针乙求职者", "探针乙学员", "探针乙合同001", "探针乙家政培训"]


PROBE_OBJECTS = {"employment": _employment}

PROBE_PARAMS = {
    "employment:job:pk": "employment_job", "employment:placement:pk": "employment_placement",
    "employment:course:pk": "employment_course", "employment:enrolment_action:pk": "employment_enrolment",
    "employment:enrolment_action:action": "employment_enrolment_action",
}
