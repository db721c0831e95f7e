"""Training (培训) and certificates (持证上岗): courses, sessions, attendance, exams, certificates."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.cases.dates import add_months
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.scoping import region_in_scope, scope

from .models import Attendance, Certificate, Course, Exam, ExamAttempt, Question, TrainingSession
from .policies import county_of
from .spotchecks import county_setting

DECIDING_ROLES = ("county_admin", "county_approver", "township_handler", "township_approver")
EXPIRY_WARNING_DAYS = 30


@transaction.atomic
def course_create(*, actor, title: str, kind: str, hours) -> Course:
    county = county_of(actor)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("give the course title"), field="title")
    if kind not in Course.Kind.values:
        raise DomainError(_("choose the kind of course"), field="kind")
    hours = Decimal(str(hours))
    if hours <= 0:
        raise DomainError(_("the hours must be above zero"), field="hours")
    course = Course.objects.create(county_code=county, title=title, kind=kind, hours=hours)
    audit_record(actor=actor, action="supervision.course_create", obj=course, region_code=county,
                 new={"title": title, "kind": kind, "hours": hours})
    return course


@transaction.atomic
def session_create(*, actor, course: Course, starts_at: dt.datetime, hours, place: str) -> TrainingSession:
    county = county_of(actor)
    if course.county_code != county:
        raise Forbidden(_("the course belongs to another county"))
    hours = Decimal(str(hours))
    if hours <= 0:
        raise DomainError(_("the hours must be above zero"), field="hours")
    session = TrainingSession.objects.create(course=course, starts_at=starts_at, hours=hours, place=place.strip())
    audit_record(actor=actor, action="supervision.session_create", obj=session, region_code=county,
                 new={"course": course.pk, "starts_at": starts_at, "hours": hours})
    return session


@transaction.atomic
def attendance_record(*, actor, session: TrainingSession, users) -> list[Attendance]:
    """Record who attended; each attendee must be a user of the county; attending twice is counted once."""
    county = county_of(actor)
    if session.course.county_code != county:
        raise Forbidden(_("the session belongs to another county"))
    for user in users:
        if not region_in_scope(actor, user.region_id or "", perm="supervision.manage"):
            raise DomainError(_("%(u)s is not a user of this county") % {"u": user.display_name}, field="users")
    done = set(Attendance.objects.filter(session=session).values_list("user_id", flat=True))
    made = Attendance.objects.bulk_create([
        Attendance(session=session, user=u, region_code=u.region_id, hours=session.hours,
                   on=timezone.localdate(session.starts_at)) for u in users if u.pk not in done])
    audit_record(actor=actor, action="supervision.attendance_record", obj=session, region_code=county,
                 new={"users": [u.pk for u in users], "new": len(made)})
    return made


@transaction.atomic
def exam_create(*, actor, course: Course, title: str, questions_per_attempt: int, pass_mark: int, minutes: int
                ) -> Exam:
    county = county_of(actor)
    if course.county_code != county:
        raise Forbidden(_("the course belongs to another county"))
    title = (title or "").strip()
    if not title:
        raise DomainError(_("give the exam's title"), field="title")
    if not 1 <= int(pass_mark) <= 100:
        raise DomainError(_("the pass mark must be between 1 and 100"), field="pass_mark")
    if int(minutes) <= 0 or int(questions_per_attempt) <= 0:
        raise DomainError(_("the time and the number of questions must be above zero"), field="minutes")
    exam = Exam.objects.create(course=course, title=title, questions_per_attempt=int(questions_per_attempt),
                               pass_mark=int(pass_mark), minutes=int(minutes))
    audit_record(actor=actor, action="supervision.exam_create", obj=exam, region_code=county,
                 new={"course": course.pk, "title": title, "pass_mark": pass_mark, "minutes": minutes})
    return exam


@transaction.atomic
def question_add(*, actor, exam: Exam, text: str, choices: list[str], answer: int) -> Question:
    county = county_of(actor)
    if exam.course.county_code != county:
        raise Forbidden(_("the exam belongs to another county"))
    choices = [str(c).strip() for c in choices if str(c).strip()]
    if not (text or "").strip() or len(choices) < 2:
        raise DomainError(_("a question needs its text and at least two choices"), field="choices")
    if not (0 <= int(answer) < len(choices)):
        raise DomainError(_("the right answer must be one of the choices"), field="answer")
    question = Question.objects.create(exam=exam, text=text.strip(), choices=choices, answer=int(answer))
    audit_record(actor=actor, action="supervision.question_add", obj=question, region_code=county,
                 new={"exam": exam.pk})
    return question


@transaction.atomic
def exam_start(*, actor, exam: Exam, now: dt.datetime | None = None) -> ExamAttempt:
    """Begin an attempt: the questions are drawn from the bank; the clock runs from now."""
    if not actor.has_perm_code("training.take") or not (actor.region_id or "").startswith(exam.course.county_code):
        raise Forbidden(_("this exam is for the staff of its county"))
    if ExamAttempt.objects.filter(exam=exam, user=actor, submitted_at__isnull=True,
                                  deadline__gt=now or timezone.now()).exists():
        raise DomainError(_("you already have an attempt of this exam running"), field="exam")
    bank = list(exam.questions.values_list("pk", flat=True))
    if len(bank) < exam.questions_per_attempt:
        raise DomainError(_("the exam's bank has too few questions"), field="exam")
    now = now or timezone.now()
    chosen = random.SystemRandom().sample(sorted(bank), exam.questions_per_attempt)
    attempt = ExamAttempt.objects.create(exam=exam, user=actor, question_ids=chosen, started_at=now,
                                         deadline=now + dt.timedelta(minutes=exam.minutes))
    audit_record(actor=actor, action="supervision.exam_start", obj=attempt, region_code=actor.region_id,
                 new={"exam": exam.pk, "deadline": attempt.deadline})
    return attempt


@transaction.atomic
def exam_submit(*, actor, attempt: ExamAttempt, answers: dict, now: dt.datetime | None = None) -> ExamAttempt:
    """Mark the attempt; a pass issues a certificate valid for the county's months. Refuses, changing
    nothing, an attempt submitted after its time, twice, or by someone else."""
    attempt = ExamAttempt.objects.select_for_update().select_related("exam", "exam__course").get(pk=attempt.pk)
    if attempt.user_id != actor.pk:
        raise Forbidden(_("this is not your exam"))
    if attempt.submitted_at is not None:
        raise DomainError(_("this attempt has already been submitted"), field="answers")
    now = now or timezone.now()
    if now > attempt.deadline:
        raise DomainError(_("the time of this exam ended at %(t)s: the answers were not accepted")
                          % {"t": timezone.localtime(attempt.deadline).strftime("%Y-%m-%d %H:%M")}, field="answers")
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids)}
    given = {}
    for qid in attempt.question_ids:
        value = (answers or {}).get(str(qid), (answers or {}).get(qid))
        try:
            given[str(qid)] = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            raise DomainError(_("answer %(q)s is not one of the choices") % {"q": qid}, field=f"q{qid}") from None
    right = sum(1 for qid in attempt.question_ids if given[str(qid)] == questions[qid].answer)
    attempt.answers, attempt.submitted_at = given, now
    attempt.score = round(100 * right / len(attempt.question_ids))
    attempt.passed = attempt.score >= attempt.exam.pass_mark
    attempt.save()
    certificate = None
    if attempt.passed:
        today = timezone.localdate(now)
        months = county_setting(attempt.exam.course.county_code).certificate_months
        certificate = Certificate.objects.create(
            user=actor, region_code=actor.region_id, attempt=attempt, issued_on=today,
            expires_on=add_months(today, months), number=f"ZS{today:%Y%m%d}{attempt.pk:06d}")
    audit_record(actor=actor, action="supervision.exam_submit", obj=attempt, region_code=actor.region_id,
                 new={"score": attempt.score, "passed": attempt.passed,
                      "certificate": certificate.number if certificate else None})
    return attempt


def valid_certificate(user, on: dt.date | None = None) -> Certificate | None:
    on = on or timezone.localdate()
    return Certificate.objects.filter(user=user, expires_on__gte=on).order_by("-expires_on").first()


def certificate_warnings(*, actor, on: dt.date | None = None) -> list[dict]:
    """Staff who decide or handle cases in the actor's jurisdiction with no valid certificate, or one
    expiring within 30 days."""
    from dajiuzhu.accounts.models import User

    on = on or timezone.localdate()
    users = scope(User.objects.filter(role__in=DECIDING_ROLES, is_active=True), actor, perm="supervision.view",
                  fields=("region__code",)).select_related("region").order_by("region_id", "username")
    best = {}
    for user_id, expires in Certificate.objects.filter(user__in=users, expires_on__gte=on).values_list(
            "user_id", "expires_on"):
        best[user_id] = max(best.get(user_id, expires), expires)
    out = []
    for user in users:
        expires = best.get(user.pk)
        if expires is None:
            out.append({"user": user, "expires_on": None, "reason": _("no valid certificate")})
        elif (expires - on).days <= EXPIRY_WARNING_DAYS:
            out.append({"user": user, "expires_on": expires, "reason": _("the certificate expires soon")})
    return out
