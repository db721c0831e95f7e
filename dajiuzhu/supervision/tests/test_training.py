"""Training: exams with a bank, a pass mark and a time, certificates with expiry, 持证上岗 at the decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dajiuzhu.cases.services import case_decide
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_COUNTY, make_user
from dajiuzhu.supervision.models import Certificate, CountySetting, Exam, ExamAttempt
from dajiuzhu.supervision.training import (
    certificate_warnings,
    course_create,
    exam_start,
    exam_submit,
    question_add,
    valid_certificate,
)

from .conftest import tekun_case, walk_to_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(catalogue, county_admin):
    course = course_create(actor=county_admin, title="社会救助政策", kind="policy", hours="4")
    exam = Exam.objects.create(course=course, title="低保政策考试", questions_per_attempt=4, pass_mark=75, minutes=30)
    for i in range(5):
        question_add(actor=county_admin, exam=exam, text=f"第{i + 1}题", choices=["甲", "乙", "丙"], answer=i % 3)
    return exam


def _answers(attempt, right: int) -> dict:
    from dajiuzhu.supervision.models import Question

    out = {}
    for n, qid in enumerate(attempt.question_ids):
        q = Question.objects.get(pk=qid)
        out[str(qid)] = q.answer if n < right else (q.answer + 1) % 3
    return out


def test_a_pass_issues_a_certificate_and_a_fail_does_not(exam, county_approver):
    attempt = exam_start(actor=county_approver, exam=exam)
    assert len(attempt.question_ids) == 4 and attempt.deadline - attempt.started_at == dt.timedelta(minutes=30)
    exam_submit(actor=county_approver, attempt=attempt, answers=_answers(attempt, 2))
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (50, False) and valid_certificate(county_approver) is None
    attempt = exam_start(actor=county_approver, exam=exam)
    exam_submit(actor=county_approver, attempt=attempt, answers=_answers(attempt, 3))  # 75 % = the pass mark
    cert = valid_certificate(county_approver)
    assert cert is not None and cert.expires_on.year == timezone.localdate().year + 2


def test_an_exam_submitted_after_its_time_is_refused_and_nothing_changes(exam, county_approver):
    started = timezone.now() - dt.timedelta(minutes=31)
    attempt = exam_start(actor=county_approver, exam=exam, now=started)
    with pytest.raises(DomainError, match="time of this exam ended"):
        exam_submit(actor=county_approver, attempt=attempt, answers=_answers(attempt, 4))
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None and not Certificate.objects.exists()
    with pytest.raises(Forbidden):
        exam_submit(actor=make_user("county_approver", LINYI_COUNTY), attempt=attempt, answers={})


def test_the_county_can_require_a_certificate_before_a_decision(exam, linyi_handler, xinglong_handler,
                                                                county_approver, county_admin, supervisor):
    from dajiuzhu.cases.services import case_transition

    case = tekun_case(linyi_handler)
    walk_to_review(case, xinglong_handler)
    on = timezone.localdate() - dt.timedelta(days=8)
    case_transition(actor=xinglong_handler, case=case, step="publish_notice", on=on)
    case_transition(actor=xinglong_handler, case=case, step="close_notice", on=on + dt.timedelta(days=7))
    warned = {w["user"].pk for w in certificate_warnings(actor=supervisor)}
    assert county_approver.pk in warned and linyi_handler.pk in warned
    CountySetting.objects.create(county_code="371424", certificate_required=True)
    with pytest.raises(Forbidden, match="certificate"):
        case_decide(actor=county_approver, case=case, outcome="approve", opinion="同意")
    case.refresh_from_db()
    assert case.status == "awaiting_decision"
    attempt = exam_start(actor=county_approver, exam=exam)
    exam_submit(actor=county_approver, attempt=attempt, answers=_answers(attempt, 4))
    assert county_approver.pk not in {w["user"].pk for w in certificate_warnings(actor=supervisor)}
    case_decide(actor=county_approver, case=case, outcome="approve", opinion="同意")
    case.refresh_from_db()
    assert case.status == "decided"
    # An expired certificate no longer counts.
    Certificate.objects.update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    assert valid_certificate(county_approver) is None
    assert ExamAttempt.objects.filter(passed=True).count() == 1
