"""Writes of public-welfare jobs and training: keyword-only, transactional, audited; a refusal names its reason
and leaves nothing written.

Income: each month's wage moves the household's ``monthly_wages`` in the registry by the difference from
the wage already counted for this placement (``registry.services.household_income_adjust``, observed on
the day it is recorded), so the next rules evaluation and index run see the job's income; leaving the post
takes it out again. Employment: the start sets the member's employment to "employed" in the member facts
(``registry.services.member_status_change``), the exit back to "unemployed".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.money import money
from dajiuzhu.core.normalise import clean_text
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.registry.selectors import member_status_on
from dajiuzhu.registry.services import household_income_adjust, member_status_change

from .models import Course, Enrolment, Job, Placement, Wage

WORKING_AGE = (16, 60)  # from 16, under 60
EMPLOYED = ("employed", "self_employed")
COMPLETION_SHARE = Decimal("0.8")  # a course is completed with at least 80 % of its days attended


def _require(actor, perm: str, region_code: str) -> None:
    if not region_in_scope(actor, region_code, perm=perm):
        raise Forbidden(_("you may not do this here"))


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def month_start(value: dt.date | str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        except (ValueError, IndexError):
            raise DomainError(_("not a month (YYYY-MM): %(value)s") % {"value": value}, field="month") from None
    return value.replace(day=1)


@transaction.atomic
def job_create(*, actor, title: str, region_code: str, department, hours_per_month: int, monthly_pay,
               positions: int = 1, start: dt.date, end: dt.date | None = None) -> Job:
    _require(actor, "employment.manage", region_code)
    if not clean_text(title):
        raise DomainError(_("name the post"), field="title")
    pay = money(monthly_pay)
    if pay <= 0:
        raise DomainError(_("the pay must be more than nil"), field="monthly_pay")
    if not 1 <= hours_per_month <= 208:
        raise DomainError(_("hours per month must be between 1 and 208"), field="hours_per_month")
    if positions < 1:
        raise DomainError(_("a post has at least one position"), field="positions")
    if end and end < start:
        raise DomainError(_("the post ends before it starts"), field="end")
    job = Job.objects.create(title=clean_text(title)[:60], region_code=region_code, department=department,
                             hours_per_month=hours_per_month, monthly_pay=pay, positions=positions, start=start,
                             end=end)
    audit_record(actor=actor, action="employment.job_create", obj=job,
                 new={"title": job.title, "pay": pay, "positions": positions, "department": department.code})
    return job


def check_can_work(person, *, on: dt.date) -> None:
    """Refuse someone the roster may not propose: outside working age, without labour capacity, or employed."""
    age = age_on(person.birth_date, on)
    if not WORKING_AGE[0] <= age < WORKING_AGE[1]:
        raise DomainError(_("%(name)s is %(age)d, outside working age (16–59)") % {"name": person.name, "age": age},
                          field="person")
    status = member_status_on(person=person, on=max(on, timezone.localdate()))  # the latest known status
    if status is None:
        raise DomainError(_("%(name)s has no recorded labour capacity") % {"name": person.name}, field="person")
    if status.labour == "none":
        raise DomainError(_("%(name)s has no labour capacity") % {"name": person.name}, field="person")
    if status.employment in EMPLOYED:
        raise DomainError(_("%(name)s is already employed") % {"name": person.name}, field="person")
    if Placement.objects.filter(person=person, status=Placement.Status.ACTIVE).exists():
        raise DomainError(_("%(name)s already holds a public-welfare post") % {"name": person.name}, field="person")


@transaction.atomic
def placement_create(*, actor, job: Job, person, start: dt.date, contract_number: str,
                     contract_end: dt.date) -> Placement:
    """Place a member in a post, with the contract; the member is employed from the start."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    _require(actor, "employment.manage", job.region_code)
    household = person.household
    if household is None:
        raise DomainError(_("the person belongs to no household in the registry"), field="person")
    _require(actor, "employment.manage", household.region_code)
    if start > timezone.localdate():
        raise DomainError(_("record a placement from its first day on"), field="start")
    if start < job.start or (job.end and start > job.end):
        raise DomainError(_("the post is not open on %(date)s") % {"date": start.isoformat()}, field="start")
    if contract_end < start:
        raise DomainError(_("the contract ends before the placement starts"), field="contract_end")
    if not clean_text(contract_number):
        raise DomainError(_("give the contract number"), field="contract_number")
    check_can_work(person, on=start)
    taken = job.placements.filter(status=Placement.Status.ACTIVE).count()
    if taken >= job.positions:
        raise DomainError(_("all %(n)d positions of the post are filled") % {"n": job.positions}, field="job")
    placement = Placement.objects.create(job=job, person=person, household=household,
                                         region_code=household.region_code,
                                         contract_number=clean_text(contract_number)[:40], start=start,
                                         contract_end=contract_end, created_by=actor)
    member_status_change(actor=actor, person=person, as_of=start, values={"employment": "employed"},
                         reason=f"public-welfare post {job.title}")
    audit_record(actor=actor, action="employment.placement_create", obj=placement,
                 new={"job": job.pk, "person": person.pk, "start": start, "contract_end": contract_end})
    return placement


@transaction.atomic
def wage_record(*, actor, placement: Placement, month: dt.date | str, days_worked: int, amount) -> Wage:
    """A month's attendance and wage; the household's monthly wages include it from today."""
    placement = Placement.objects.select_for_update().select_related("job", "household").get(pk=placement.pk)
    _require(actor, "employment.manage", placement.region_code)
    month = month_start(month)
    if month < month_start(placement.start):
        raise DomainError(_("the wage is for %(month)s, before the placement began on %(start)s")
                          % {"month": f"{month:%Y-%m}", "start": placement.start.isoformat()}, field="month")
    if placement.ended_on and month > placement.ended_on:
        raise DomainError(_("the placement ended on %(date)s") % {"date": placement.ended_on.isoformat()},
                          field="month")
    if month > timezone.localdate():
        raise DomainError(_("the month has not begun"), field="month")
    if not 0 <= days_worked <= 31:
        raise DomainError(_("days worked must be between 0 and 31"), field="days_worked")
    amount = money(amount)
    if amount < 0:
        raise DomainError(_("the wage must not be negative"), field="amount")
    if Wage.objects.filter(placement=placement, month=month).exists():
        raise DomainError(_("the wage of %(month)s is already recorded") % {"month": f"{month:%Y-%m}"},
                          field="month")
    wage = Wage.objects.create(placement=placement, month=month, days_worked=days_worked, amount=amount,
                               recorded_by=actor)
    latest = placement.wages.order_by("-month").first()
    if latest is not None and latest.pk == wage.pk and placement.status == Placement.Status.ACTIVE:
        delta = amount - placement.income_counted
        if delta:
            household_income_adjust(actor=actor, household=placement.household, as_of=timezone.localdate(),
                                    field="monthly_wages", delta=delta,
                                    reason=f"public-welfare post {placement.job.title}, wage of {month:%Y-%m}")
        placement.income_counted = amount
        placement.save(update_fields=["income_counted"])
    audit_record(actor=actor, action="employment.wage_record", obj=placement,
                 new={"month": month, "days": days_worked, "amount": amount})
    return wage


@transaction.atomic
def placement_end(*, actor, placement: Placement, on: dt.date, reason: str) -> Placement:
    """The member leaves the post: the wage leaves the household's income, the member is unemployed again."""
    placement = Placement.objects.select_for_update().select_related("job", "household", "person").get(pk=placement.pk)
    _require(actor, "employment.manage", placement.region_code)
    if placement.status != Placement.Status.ACTIVE:
        raise InvalidTransition(_("the placement has already ended"))
    if on < placement.start or on > timezone.localdate():
        raise DomainError(_("the exit date lies before the start or in the future"), field="on")
    if not clean_text(reason):
        raise DomainError(_("give the reason for leaving"), field="reason")
    if placement.income_counted:
        household_income_adjust(actor=actor, household=placement.household, as_of=on, field="monthly_wages",
                                delta=-placement.income_counted,
                                reason=f"left public-welfare post {placement.job.title}")
    member_status_change(actor=actor, person=placement.person, as_of=on, values={"employment": "unemployed"},
                         reason=f"left public-welfare post {placement.job.title}")
    placement.status, placement.ended_on, placement.exit_reason = Placement.Status.ENDED, on, clean_text(reason)[:200]
    placement.income_counted = Decimal(0)
    placement.save(update_fields=["status", "ended_on", "exit_reason", "income_counted"])
    audit_record(actor=actor, action="employment.placement_end", obj=placement, new={"on": on, "reason": reason[:200]})
    return placement


# ---------------------------------------------------------------------------------------------
# Training

@transaction.atomic
def course_create(*, actor, name: str, provider: str, region_code: str, start: dt.date, end: dt.date, days: int,
                  capacity: int) -> Course:
    _require(actor, "employment.manage", region_code)
    if not clean_text(name) or not clean_text(provider):
        raise DomainError(_("name the course and its provider"), field="name")
    if end < start:
        raise DomainError(_("the course ends before it starts"), field="end")
    if not 1 <= days <= (end - start).days + 1:
        raise DomainError(_("the training days must fit between the first and last day"), field="days")
    if capacity < 1:
        raise DomainError(_("a course has at least one place"), field="capacity")
    course = Course.objects.create(name=clean_text(name)[:120], provider=clean_text(provider)[:120],
                                   region_code=region_code, start=start, end=end, days=days, capacity=capacity)
    audit_record(actor=actor, action="employment.course_create", obj=course, new={"name": course.name, "days": days})
    return course


@transaction.atomic
def enrolment_create(*, actor, course: Course, person) -> Enrolment:
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require(actor, "employment.manage", course.region_code)
    household = person.household
    if household is None:
        raise DomainError(_("the person belongs to no household in the registry"), field="person")
    _require(actor, "employment.manage", household.region_code)
    age = age_on(person.birth_date, course.start)
    if not WORKING_AGE[0] <= age < WORKING_AGE[1]:
        raise DomainError(_("%(name)s is %(age)d, outside working age (16–59)") % {"name": person.name, "age": age},
                          field="person")
    if course.enrolments.filter(person=person).exists():
        raise DomainError(_("%(name)s is already enrolled") % {"name": person.name}, field="person")
    if course.enrolments.count() >= course.capacity:
        raise DomainError(_("the course is full"), field="course")
    enrolment = Enrolment.objects.create(course=course, person=person, household=household,
                                         region_code=household.region_code)
    audit_record(actor=actor, action="employment.enrol", obj=enrolment, new={"course": course.pk, "person": person.pk})
    return enrolment


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@transaction.atomic
def enrolment_complete(*, actor, enrolment: Enrolment, days_attended: int, on: dt.date,
                       certificate: str = "") -> Enrolment:
    """Attendance at the end of the course; completed with at least 80 % of the days, follow-up six months on."""
    enrolment = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
    _require(actor, "employment.manage", enrolment.region_code)
    course = enrolment.course
    if enrolment.completed_on or enrolment.days_attended:
        raise InvalidTransition(_("the attendance of this enrolment is already recorded"))
    if not 0 <= days_attended <= course.days:
        raise DomainError(_("days attended must be between 0 and %(days)d") % {"days": course.days},
                          field="days_attended")
    if on < course.end or on > timezone.localdate():
        raise DomainError(_("record the attendance after the course's last day, not in the future"), field="on")
    enrolment.days_attended = days_attended
    if Decimal(days_attended) >= COMPLETION_SHARE * course.days:
        enrolment.completed_on, enrolment.certificate = on, clean_text(certificate)[:60]
        enrolment.follow_up_due = _add_months(on, 6)
    enrolment.save(update_fields=["days_attended", "completed_on", "certificate", "follow_up_due"])
    audit_record(actor=actor, action="employment.attendance", obj=enrolment,
                 new={"days": days_attended, "completed": enrolment.completed_on is not None})
    return enrolment


@transaction.atomic
def enrolment_follow_up(*, actor, enrolment: Enrolment, on: dt.date, employed: bool, note: str = "") -> Enrolment:
    """Six months after completion: is the trainee employed? (An employed trainee is employed in the registry.)"""
    enrolment = Enrolment.objects.select_for_update().select_related("person").get(pk=enrolment.pk)
    _require(actor, "employment.manage", enrolment.region_code)
    if enrolment.completed_on is None:
        raise InvalidTransition(_("only a completed course is followed up"))
    if enrolment.followed_up_on is not None:
        raise InvalidTransition(_("the follow-up is already recorded"))
    if on < enrolment.follow_up_due or on > timezone.localdate():
        raise DomainError(_("the follow-up is due from %(date)s") % {"date": enrolment.follow_up_due.isoformat()},
                          field="on")
    enrolment.followed_up_on, enrolment.employed, enrolment.follow_up_note = on, employed, clean_text(note)[:200]
    enrolment.save(update_fields=["followed_up_on", "employed", "follow_up_note"])
    if employed:
        status = member_status_on(person=enrolment.person, on=on)
        if status is None or status.employment not in EMPLOYED:
            member_status_change(actor=actor, person=enrolment.person, as_of=on, values={"employment": "employed"},
                                 reason="employed after training")
    audit_record(actor=actor, action="employment.follow_up", obj=enrolment, new={"on": on, "employed": employed})
    return enrolment
