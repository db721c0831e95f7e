import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.employment import selectors, services
from dajiuzhu.employment.models import Enrolment, Placement, Wage
from dajiuzhu.registry.facts import household_facts
from dajiuzhu.registry.models import HouseholdFacts, MemberFacts
from dajiuzhu.social.tests.conftest import give_benefit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return make_user("county_admin", LINYI_COUNTY)


@pytest.fixture
def job(admin):
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department

    ensure_departments()
    return services.job_create(actor=admin, title="村级保洁员", region_code=LINYI_VILLAGE,
                               department=Department.objects.get(code="hr_social_security"), hours_per_month=80,
                               monthly_pay="800.00", positions=1, start=timezone.localdate() - dt.timedelta(days=90))


@pytest.fixture
def dibao_household():
    """Two members, 600 元 of wages a month: 300 元 per person, the head able to work and unemployed."""
    household = make_household(LINYI_VILLAGE, members=[
        member_input("周建国", age=45, labour="full", employment="unemployed"),
        member_input("吴秀英", relation="spouse", sex="F", age=43, labour="none", employment="not_working",
                     health="serious"),
    ], as_of=timezone.localdate() - dt.timedelta(days=60))
    give_benefit(household)
    return household


def _head(household):
    return household.members.get(relation="head")


def test_candidates_are_working_age_able_unemployed_members_of_dibao_households(admin, dibao_household, job):
    other = make_household(LINYI_VILLAGE, members=[member_input("郑一", age=30, labour="full", employment="unemployed")])
    found = selectors.candidates(actor=admin)
    assert [c["person"].name for c in found] == ["周建国"]
    assert found[0]["why_codes"] == ["dibao"]
    assert other  # able, but not on 低保 nor monitored: not proposed


def test_a_placement_from_the_roster_makes_the_member_employed(admin, dibao_household, job):
    head = _head(dibao_household)
    start = timezone.localdate() - dt.timedelta(days=40)
    placement = services.placement_create(actor=admin, job=job, person=head, start=start, contract_number="GY-001",
                                          contract_end=start + dt.timedelta(days=365))
    assert placement.status == "active"
    latest = MemberFacts.objects.filter(person=head).order_by("-as_of").first()
    assert (latest.employment, latest.labour) == ("employed", "full")  # labour carried over
    assert household_facts(dibao_household.pk, on=timezone.localdate())["unemployed_able_members"] == 0


def test_a_placement_of_someone_without_labour_capacity_or_already_employed_is_refused(admin, dibao_household, job):
    spouse = dibao_household.members.get(relation="spouse")
    start = timezone.localdate() - dt.timedelta(days=10)
    with pytest.raises(DomainError) as exc:
        services.placement_create(actor=admin, job=job, person=spouse, start=start, contract_number="GY-002",
                                  contract_end=start + dt.timedelta(days=30))
    assert "无劳动能力" in exc.value.message
    worker = make_household(LINYI_VILLAGE, members=[member_input("冯工", age=35, labour="full", employment="employed")])
    with pytest.raises(DomainError) as exc:
        services.placement_create(actor=admin, job=job, person=_head(worker), start=start, contract_number="GY-003",
                                  contract_end=start + dt.timedelta(days=30))
    assert "已就业" in exc.value.message
    assert not Placement.objects.exists()


def test_a_wage_for_a_month_before_the_placement_is_refused(admin, dibao_household, job):
    head = _head(dibao_household)
    start = timezone.localdate().replace(day=1)
    placement = services.placement_create(actor=admin, job=job, person=head, start=start, contract_number="GY-004",
                                          contract_end=start + dt.timedelta(days=365))
    before = (start - dt.timedelta(days=1)).replace(day=1)
    with pytest.raises(DomainError) as exc:
        services.wage_record(actor=admin, placement=placement, month=before, days_worked=20, amount="800")
    assert "早于上岗日期" in exc.value.message
    assert not Wage.objects.exists()


def test_the_wage_raises_per_capita_income_in_the_next_rules_evaluation(admin, dibao_household, job):
    from dajiuzhu.programs.facts import facts_for
    from dajiuzhu.programs.services import item_evaluate

    today = timezone.localdate()
    before = item_evaluate(item="dibao", facts=facts_for(household_id=dibao_household.pk, on=today), on=today,
                           region_code=dibao_household.region_code)
    assert before.facts_used["per_capita_income"] == Decimal("300.00")
    head = _head(dibao_household)
    start = today.replace(day=1)
    placement = services.placement_create(actor=admin, job=job, person=head, start=start, contract_number="GY-005",
                                          contract_end=start + dt.timedelta(days=365))
    services.wage_record(actor=admin, placement=placement, month=start, days_worked=20, amount="800.00")
    facts = facts_for(household_id=dibao_household.pk, on=today)
    assert facts["monthly_income"] == Decimal("1400.00") and facts["per_capita_income"] == Decimal("700.00")
    after = item_evaluate(item="dibao", facts=facts, on=today, region_code=dibao_household.region_code)
    assert after.facts_used["per_capita_income"] == Decimal("700.00")
    assert (after.amount or Decimal(0)) < (before.amount or Decimal(0)) or not after.eligible
    # Other observed values were carried over, not reset.
    latest = HouseholdFacts.objects.filter(household=dibao_household).order_by("-as_of").first()
    assert latest.as_of == today and latest.source == "verified"
    # Leaving the post takes the wage out again.
    services.placement_end(actor=admin, placement=placement, on=today, reason="合同期满")
    assert household_facts(dibao_household.pk, on=today)["per_capita_income"] == Decimal("300.00")
    assert MemberFacts.objects.filter(person=head).order_by("-as_of").first().employment == "unemployed"


def test_a_second_months_wage_replaces_the_first_in_household_income(admin, dibao_household, job):
    head = _head(dibao_household)
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    placement = services.placement_create(actor=admin, job=job, person=head, start=start, contract_number="GY-006",
                                          contract_end=start + dt.timedelta(days=365))
    services.wage_record(actor=admin, placement=placement, month=start, days_worked=22, amount="800.00")
    services.wage_record(actor=admin, placement=placement, month=today.replace(day=1), days_worked=10, amount="400.00")
    assert household_facts(dibao_household.pk, on=today)["monthly_income"] == Decimal("1000.00")
    with pytest.raises(DomainError):
        services.wage_record(actor=admin, placement=placement, month=start, days_worked=1, amount="1")


def test_only_staff_of_the_jurisdiction_place_people(dibao_household, job):
    other_town = make_user("township_handler", "371424105000")
    start = timezone.localdate()
    with pytest.raises(Forbidden):
        services.placement_create(actor=other_town, job=job, person=_head(dibao_household), start=start,
                                  contract_number="GY-007", contract_end=start)
    assert not Placement.objects.exists()


def test_training_completion_needs_four_fifths_of_the_days_and_a_follow_up_six_months_on(admin, dibao_household):
    today = timezone.localdate()
    course = services.course_create(actor=admin, name="家政服务员培训", provider="临邑县职业中专", region_code=LINYI_TOWN,
                                    start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=21), days=10,
                                    capacity=20)
    head = _head(dibao_household)
    done = services.enrolment_create(actor=admin, course=course, person=head)
    other = services.enrolment_create(actor=admin, course=course,
                                      person=_head(make_household(LINYI_VILLAGE)))
    services.enrolment_complete(actor=admin, enrolment=done, days_attended=8, on=today, certificate="JZ-2026-01")
    services.enrolment_complete(actor=admin, enrolment=other, days_attended=7, on=today)
    done.refresh_from_db()
    other.refresh_from_db()
    assert done.completed_on == today and done.follow_up_due == services._add_months(today, 6)
    assert other.completed_on is None
    with pytest.raises(DomainError):  # not yet six months on
        services.enrolment_follow_up(actor=admin, enrolment=done, on=today, employed=True)
    Enrolment.objects.filter(pk=done.pk).update(completed_on=today - dt.timedelta(days=200),
                                                follow_up_due=today - dt.timedelta(days=17))
    services.enrolment_follow_up(actor=admin, enrolment=done, on=today, employed=True, note="在县城家政公司就业")
    assert MemberFacts.objects.filter(person=head).order_by("-as_of").first().employment == "employed"
    figures = selectors.figures(actor=admin)
    assert (figures["enrolled"], figures["completed"], figures["employed_after"]) == (2, 1, 1)


def test_the_development_index_sees_the_job(admin, dibao_household, job):
    """The development index's inputs are the registry's facts: the job lowers the unemployed able members
    (employment_rate) and raises the per-capita income."""
    from dajiuzhu.indices.catalogue import DEVELOPMENT
    from dajiuzhu.indices.standards import standards_for
    from dajiuzhu.registry.facts import household_frame

    today = timezone.localdate()
    frame = household_frame(on=today, household_ids=[dibao_household.pk])
    std = standards_for(on=today, region_codes=frame.region_codes, is_urban=frame.columns["is_urban"])
    rate_before = DEVELOPMENT["employment_rate"].compute(frame, std)[0]
    income_before = DEVELOPMENT["income_per_capita"].compute(frame, std)[0]
    start = today.replace(day=1)
    placement = services.placement_create(actor=admin, job=job, person=_head(dibao_household), start=start,
                                          contract_number="GY-008", contract_end=start + dt.timedelta(days=365))
    services.wage_record(actor=admin, placement=placement, month=start, days_worked=20, amount="800.00")
    frame = household_frame(on=today, household_ids=[dibao_household.pk])
    assert DEVELOPMENT["employment_rate"].compute(frame, std)[0] > rate_before
    assert DEVELOPMENT["income_per_capita"].compute(frame, std)[0] > income_before
    assert LINYI_TOWN
