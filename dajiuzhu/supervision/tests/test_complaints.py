"""Complaints and tips: number, handler, limit, answer, close; grouping; a tip opens a verification."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, XINGLONG_VILLAGE, make_user
from dajiuzhu.supervision.calendar import calendar_for
from dajiuzhu.supervision.complaints import (
    complaint_answer,
    complaint_assign,
    complaint_close,
    complaint_open_verification,
    complaint_submit,
)
from dajiuzhu.supervision.models import Complaint
from dajiuzhu.supervision.selectors import complaint_groups

from .conftest import dibao_case

pytestmark = pytest.mark.django_db


def test_a_complaint_is_numbered_assigned_answered_and_closed(catalogue, county_admin, linyi_handler,
                                                              xinglong_handler):
    case = dibao_case(linyi_handler)
    c = complaint_submit(kind="complaint", text="窗口人员态度差，让我跑了三趟", region_code=XINGLONG_VILLAGE,
                         channel="public", case_number=case.number)
    assert c.number.startswith("TS") and c.subject_handler == linyi_handler and c.anonymous
    assert c.due_on == calendar_for("371424").add(timezone.localdate(c.lodged_at), 10)
    with pytest.raises(DomainError):  # the person it is about may not handle it
        complaint_assign(actor=county_admin, complaint=c, assignee=linyi_handler)
    complaint_assign(actor=county_admin, complaint=c, assignee=xinglong_handler)
    with pytest.raises(InvalidTransition):
        complaint_close(actor=xinglong_handler, complaint=c)
    with pytest.raises(Forbidden):
        complaint_answer(actor=make_user("township_handler", "371424105000"), complaint=c, answer="已核实并整改")
    complaint_answer(actor=xinglong_handler, complaint=c, answer="已核实，对经办人批评教育并整改")
    complaint_close(actor=xinglong_handler, complaint=c)
    c.refresh_from_db()
    assert c.status == Complaint.Status.CLOSED and c.closed_at
    assert AuditEvent.objects.filter(action="supervision.complaint_close", object_id=str(c.pk)).exists()


def test_repeated_complaints_about_one_case_are_grouped(catalogue, county_admin, linyi_handler):
    case = dibao_case(linyi_handler)
    for _ in range(2):
        complaint_submit(kind="complaint", text="同一件事再次投诉", region_code=XINGLONG_VILLAGE, channel="public",
                         case_number=case.number)
    complaint_submit(kind="complaint", text="另一件事情", region_code=XINGLONG_VILLAGE, channel="public")
    groups = complaint_groups(actor=county_admin)
    assert [(g["group_key"], g["n"]) for g in groups] == [(f"case:{case.pk}", 2)]


def test_a_complaint_about_a_case_outside_the_county_is_refused(catalogue, linyi_handler):
    case = dibao_case(linyi_handler)
    with pytest.raises(DomainError, match="not in this county"):
        complaint_submit(kind="complaint", text="这件事情有问题", region_code="371403101000", channel="public",
                         case_number=case.number)
    other = make_user("township_handler", "371424103000")  # 德平镇: the case is not theirs
    with pytest.raises(DomainError, match="outside your jurisdiction"):
        complaint_submit(actor=other, kind="complaint", text="电话投诉记录", region_code="371424103000",
                         channel="staff", case_number=case.number)
    with pytest.raises(DomainError, match="names the recipient"):
        complaint_submit(kind="tip", text="他家有车有房", region_code=XINGLONG_VILLAGE, channel="public")
    assert not Complaint.objects.exists()


def test_a_tip_about_a_recipient_opens_a_verification(catalogue, county_admin, linyi_handler):
    from dajiuzhu.checks.models import VerificationReport

    case = dibao_case(linyi_handler)
    tip = complaint_submit(kind="tip", text="该户家中有小轿车，收入不实", region_code=XINGLONG_VILLAGE, channel="public",
                           case_number=case.number, anonymous=False, contact="13800000000")
    complaint_assign(actor=county_admin, complaint=tip, assignee=make_user("county_approver", LINYI_COUNTY))
    complaint_open_verification(actor=county_admin, complaint=tip)
    tip.refresh_from_db()
    report = VerificationReport.objects.get(pk=tip.verification_report_id)
    assert report.household_id == case.household_id
    with pytest.raises(DomainError):
        complaint_open_verification(actor=county_admin, complaint=tip)


def test_satisfaction_from_a_call_back_and_the_resident(catalogue, county_admin, linyi_handler):
    from dajiuzhu.registry.models import Person
    from dajiuzhu.supervision.complaints import rating_record

    case = dibao_case(linyi_handler)
    rating = rating_record(actor=county_admin, case=case, score=4, source="callback", comment="满意")
    assert rating.handler == linyi_handler
    for bad in (0, 6, "x"):
        with pytest.raises(DomainError):
            rating_record(actor=county_admin, case=case, score=bad, source="resident")
    with pytest.raises(DomainError):  # a second call-back rating of the same case
        rating_record(actor=county_admin, case=case, score=5, source="callback")
    with pytest.raises(Forbidden):
        rating_record(actor=make_user("township_handler", "371424103000"), case=case, score=5, source="callback")
    head = Person.objects.get(pk=case.household.head_id)
    resident = make_user("resident", case.region_code)
    resident.person_id_hash = head.id_hash
    resident.save()
    assert rating_record(actor=resident, case=case, score=5, source="resident").score == 5
    with pytest.raises(Forbidden):
        rating_record(actor=make_user("resident", case.region_code), case=case, score=1, source="resident")
