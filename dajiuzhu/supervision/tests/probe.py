"""The security probe's objects of the supervision app: a spot check and a complaint in 兴隆镇, an exam of
another county (training is county-wide) and an exam attempt of a 兴隆镇 user (see
dajiuzhu/api/tests/test_probe.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_TOWN, XINGLONG_VILLAGE, make_user

LINGCHENG_COUNTY = "371403000000"  # 陵城区, the city's second county


def _supervision(world) -> None:
    from dajiuzhu.cases.models import Case
    from dajiuzhu.registry.models import Household
    from dajiuzhu.supervision import training
    from dajiuzhu.supervision.complaints import complaint_submit
    from dajiuzhu.supervision.models import Exam, SpotCheck, SpotCheckDraw

    household = Household.objects.get(pk=world.ids["household"])
    case = Case.objects.create(number="PROBE-XL-0001", household=household, applicant=household.head,
                               region_code=household.region_code, accepted_region_code=household.region_code)
    admin = make_user("county_admin", LINYI_COUNTY, username="probe-supervision-admin")
    month = timezone.localdate().replace(day=1)
    draw = SpotCheckDraw.objects.create(county_code="371424", month=month, seed=7, share=Decimal("0.05"),
                                        strata="township", population=1, sample_size=1, drawn_by=admin)
    check = SpotCheck.objects.create(draw=draw, case=case, case_number=case.number, region_code=XINGLONG_VILLAGE,
                                     stratum="兴隆镇")
    complaint = complaint_submit(kind="complaint", text="探针乙的投诉内容", region_code=XINGLONG_VILLAGE,
                                 channel="public")
    # Training is organised per county: the other jurisdiction of an exam is another county's.
    other_admin = make_user("county_admin", LINGCHENG_COUNTY, username="probe-lingcheng-admin")
    course = training.course_create(actor=other_admin, title="探针乙县政策课", kind="policy", hours="2")
    exam = Exam.objects.create(course=course, title="探针乙县考试", questions_per_attempt=1, pass_mark=60, minutes=30)
    training.question_add(actor=other_admin, exam=exam, text="探针乙考题", choices=["甲", "乙"], answer=0)
    own_course = training.course_create(actor=admin, title="临邑县政策课", kind="policy", hours="2")
    own_exam = Exam.objects.create(course=own_course, title="临邑县考试", questions_per_attempt=1, pass_mark=60,
                                   minutes=30)
    training.question_add(actor=admin, exam=own_exam, text="临邑县考题", choices=["甲", "乙"], answer=0)
    taker = make_user("township_handler", XINGLONG_TOWN, username="probe-xinglong-exam-taker")
    attempt = training.exam_start(actor=taker, exam=own_exam)
    world.ids.update({"supervision_spotcheck": check.pk, "supervision_complaint": complaint.pk,
                      "supervision_exam": exam.pk, "supervision_attempt": attempt.pk})
    world.objects += [check, complaint, exam, attempt]
    world.markers += ["PROBE-XL-0001", complaint.number, "探针乙的投诉内容", "探针乙县政策课", "探针乙县考试", "探针乙考题"]


PROBE_OBJECTS = {"supervision": _supervision}

PROBE_PARAMS = {
    "supervision:region:code": "region", "supervision:spotcheck:pk": "supervision_spotcheck",
    "supervision:complaint:pk": "supervision_complaint", "supervision:exam_start:pk": "supervision_exam",
    "supervision:attempt:pk": "supervision_attempt", "supervision:public_complaint:village_code": "village",
}

PROBE_ALLOWED = {
    "supervision:public_complaint": "the public complaint form under a village's notice board is open to anyone "
                                    "by design (anonymous, rate-limited); test_probe_public checks it shows no one's "
                                    "data but the masked notice names and that a GET writes nothing",
}
