"""Worked examples: each benefit formula of the demo catalogue, computed by its rule."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from dajiuzhu.core.testing import LINYI_VILLAGE, URBAN_COMMUNITY
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.facts import APPLICANT_DEFAULTS, EVENT_DEFAULTS
from dajiuzhu.programs.selectors import standard_value
from dajiuzhu.programs.services import item_evaluate
from dajiuzhu.registry.facts import FACTS

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def catalogue():
    ensure_demo_catalogue(today=ON)


def facts(**overrides):
    base = {name: (False if kind == "bool" else (Decimal("0.00") if kind == "money" else 0))
            for name, (kind, _d) in FACTS.items()}
    base.update(APPLICANT_DEFAULTS)
    base.update(EVENT_DEFAULTS, applicant_able_supporters=0)
    base.update(has_facts=True, household_size=3, labour_members=2, safe_water=True, head_age=45, applicant_age=45)
    for key, value in overrides.items():
        base[key] = Decimal(value) if isinstance(value, str) else value
    return base


def evaluate(code, region=LINYI_VILLAGE, **overrides):
    return item_evaluate(item=code, facts=facts(**overrides), on=ON, region_code=region)


def test_demo_catalogue_has_44_items_of_17_departments_12_delegated():
    from dajiuzhu.programs.models import AssistanceItem

    items = AssistanceItem.objects.all()
    assert items.count() == 44
    assert items.values("department").distinct().count() == 17
    assert items.filter(approval_level="township").count() == 12
    assert all(i.current_version_id for i in items)
    assert ensure_demo_catalogue(today=ON) == 0  # idempotent


def test_standards_follow_year_county_and_area():
    assert standard_value("dibao", on=ON, region_code=LINYI_VILLAGE) == Decimal("720")
    assert standard_value("dibao", on=ON, region_code=URBAN_COMMUNITY) == Decimal("900")
    # A year without its own row keeps the latest earlier year's value.
    assert standard_value("dibao", on=dt.date(2030, 1, 1), region_code=LINYI_VILLAGE) == Decimal("720")


def test_dibao_benefit_is_standard_minus_per_capita_income_times_members():
    result = evaluate("dibao", per_capita_income="500.00")
    assert result.eligible
    assert result.amount == Decimal("660.00")  # (720 − 500) × 3
    assert result.periodic


def test_dibao_urban_uses_the_urban_standard():
    assert evaluate("dibao", region=URBAN_COMMUNITY, per_capita_income="500.00").amount == Decimal("1200.00")


def test_dibao_top_ups_for_elderly_disabled_and_seriously_ill_members():
    result = evaluate("dibao", per_capita_income="500.00", members_over_60=1, disabled_members=1,
                      seriously_ill_members=1)
    assert result.amount == Decimal("660.00") + 50 + 80 + 80


def test_dibao_refused_when_income_is_above_the_standard_with_the_reason_in_words():
    with translation.override("zh-hans"):
        result = evaluate("dibao", per_capita_income="850.00")
    assert not result.eligible and result.amount is None
    assert result.refusal == "ineligible"
    assert any("850.00" in r and "720.00" in r for r in result.reasons), result.reasons


def test_dibao_refused_when_assets_exceed_the_limit():
    result = evaluate("dibao", per_capita_income="500.00", per_capita_financial_assets="20000.00")
    assert not result.eligible
    assert any("20000.00" in r for r in result.reasons)


def test_dibao_records_the_rule_version_and_facts_used():
    from dajiuzhu.programs.models import AssistanceItem

    result = evaluate("dibao", per_capita_income="500.00")
    assert result.rule_version_id == AssistanceItem.objects.get(code="dibao").current_version_id
    assert result.facts_used["per_capita_income"] == Decimal("500.00")
    assert result.facts_used["std.dibao"] == Decimal("720")


def test_dibao_single_covers_one_severely_disabled_member_of_a_near_poor_household():
    result = evaluate("dibao_single", per_capita_income="900.00", applicant_disability_grade=1)
    assert result.eligible and result.amount == Decimal("800.00")  # 720 + 80 disability top-up
    assert not evaluate("dibao_single", per_capita_income="900.00").eligible  # nobody severely ill or disabled


@pytest.mark.parametrize("adl_failed, amount", [(5, "1936.00"), (2, "1536.00"), (0, "1016.00")])
def test_tekun_is_basic_standard_plus_care_by_self_care_level(adl_failed, amount):
    result = evaluate("tekun", per_capita_income="300.00", household_size=1, labour_members=0, applicant_age=70,
                      applicant_labour=2, applicant_adl_failed=adl_failed)
    assert result.eligible
    assert result.amount == Decimal(amount)  # 1.3 × 720 = 936 + 1000 / 600 / 80


def test_tekun_refused_when_the_applicant_has_an_able_legal_supporter():
    # DOMAIN.md: 特困 requires no legal supporter, or only unable ones (programs.supporters).
    assert not evaluate("tekun", per_capita_income="300.00", applicant_age=70, applicant_labour=2,
                        applicant_able_supporters=1).eligible
    assert evaluate("tekun", per_capita_income="300.00", applicant_age=70, applicant_labour=2,
                    applicant_able_supporters=0).eligible


@pytest.mark.parametrize("event, amount", [
    ({"event_loss": "3000.00"}, "1440.00"),  # grade 1: a minor loss → 2 × 720
    ({"event_house": 1}, "3600.00"),  # grade 2: house damaged → 5 × 720
    ({"event_injured": 1}, "3600.00"),  # grade 2: a member hospitalised
    ({"event_loss": "12000.00"}, "3600.00"),  # grade 2: a loss above 10,000
    ({"event_house": 2}, "7200.00"),  # grade 3: house lost → 10 × 720, the cap
    ({"event_deaths": 1}, "7200.00"),  # grade 3: a death
    ({"event_loss": "30000.01"}, "7200.00"),  # grade 3: a loss above 30,000
])
def test_emergency_is_graded_by_the_event_without_an_income_test(event, amount):
    # A well-off household (3,000 a person) struck by an emergency: 急难型 has no income or asset test.
    result = evaluate("temp_emergency", per_capita_income="3000.00", financial_assets="500000.00", has_event=True,
                      event_days=3, **event)
    assert result.eligible and result.amount == Decimal(amount)
    assert not result.periodic


def test_emergency_needs_an_event_within_the_county_window():
    assert not evaluate("temp_emergency", per_capita_income="300.00", has_event=False).eligible
    assert not evaluate("temp_emergency", has_event=True, event_days=91, event_house=2).eligible  # window: 90 days


def test_temporary_expenditure_pays_rigid_spending_above_the_share_up_to_the_cap():
    # rural, 3 members, 900 a person (< 1.5 × 720 = 1,080): income 32,400 a year, 70 % = 22,680.
    # rigid 25,000 → 25,000 − 22,680 = 2,320; rigid 30,000 → 7,320 > 10 × 720 → 7,200 (the cap).
    common = dict(per_capita_income="900.00", monthly_income="2700.00", annual_income="32400.00")
    assert evaluate("temp_expenditure", annual_rigid_expense="25000.00", **common).amount == Decimal("2320.00")
    assert evaluate("temp_expenditure", annual_rigid_expense="30000.00", **common).amount == Decimal("7200.00")
    # The near-poor income test stays: 1,100 a person is over 1,080.
    assert not evaluate("temp_expenditure", per_capita_income="1100.00", monthly_income="3300.00",
                        annual_income="39600.00", annual_rigid_expense="40000.00").eligible


def test_one_off_items_pay_once_per_member():
    result = evaluate("disaster_emergency", housing_code=3)
    assert result.eligible and result.amount == Decimal("900.00") and not result.periodic


def test_service_items_have_no_amount():
    result = evaluate("near_poor", per_capita_income="900.00")
    assert result.eligible and result.amount is None


def test_medical_assistance_class_two_uses_the_dibao_tier_derived_from_the_catalogue():
    result = evaluate("med_class2", per_capita_income="500.00", annual_medical_expense="10000.00")
    assert result.eligible and result.amount == Decimal("7500.00")
    # The caller may state the tier it knows.
    assert not item_evaluate(item="med_class2", facts=facts(per_capita_income="500.00", tier_dibao=False,
                                                             annual_medical_expense="10000.00"),
                             on=ON, region_code=LINYI_VILLAGE).eligible


def test_small_temporary_assistance_is_capped_at_its_ceiling_because_the_item_says_so():
    result = evaluate("temp_small", region=URBAN_COMMUNITY, per_capita_income="600.00", seriously_ill_members=1,
                      household_size=1)
    assert result.eligible and result.amount == Decimal("1800.00")


def test_disability_allowances():
    assert evaluate("disability_care", applicant_disability_grade=2).amount == Decimal("130.00")
    assert not evaluate("disability_care", applicant_disability_grade=3).eligible
    assert evaluate("disability_living", applicant_disability_grade=3, per_capita_income="900.00").amount == 120
