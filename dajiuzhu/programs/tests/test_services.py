"""Editing the catalogue: versions, audit, validation, permissions; evaluation from the registry."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, LINYI_VILLAGE, make_household, make_user, member_input
from dajiuzhu.programs.catalogue import ensure_demo_catalogue
from dajiuzhu.programs.facts import facts_for
from dajiuzhu.programs.models import AssistanceItem, RuleVersion, Standard
from dajiuzhu.programs.services import item_create, item_evaluate, item_update, standard_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    ensure_demo_catalogue()
    return make_user("county_admin", LINYI_COUNTY)


def test_every_change_makes_a_new_immutable_rule_version_and_an_audit_event(admin):
    item = AssistanceItem.objects.get(code="elderly_allowance")
    first = item.current_version
    item_update(actor=admin, item=item, data={"eligibility": "applicant_age >= 85"}, note="raised age")
    item.refresh_from_db()
    assert item.current_version.number == first.number + 1
    assert item.current_version.eligibility == "applicant_age >= 85"
    first.refresh_from_db()
    assert first.eligibility == "applicant_age >= 80"  # the old version is kept as it was
    event = AuditEvent.objects.filter(action="programs.item.update").latest("id")
    assert event.old == {"eligibility": "applicant_age >= 80"}
    assert event.new["eligibility"] == "applicant_age >= 85" and event.new["version"] == 2
    with pytest.raises(ValidationError):
        first.save()
    with pytest.raises(ValidationError):
        first.delete()


def test_an_unchanged_save_makes_no_version(admin):
    item = AssistanceItem.objects.get(code="elderly_allowance")
    item_update(actor=admin, item=item, data={"eligibility": item.eligibility})
    assert item.versions.count() == 1


@pytest.mark.parametrize("data, message", [
    ({"eligibility": "per_capita_incme < std.dibao"}, "did you mean"),
    ({"eligibility": "per_capita_income <"}, "syntax error"),
    ({"benefit": "per_capita_income < std.dibao"}, "must give a number"),
    ({"eligibility": "std.dibo > 0"}, "unknown standard"),
])
def test_an_invalid_rule_is_refused_and_nothing_is_saved(admin, data, message):
    item = AssistanceItem.objects.get(code="dibao")
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError, match=message):
        item_update(actor=admin, item=item, data=data)
    item.refresh_from_db()
    assert item.versions.count() == 1 and AuditEvent.objects.count() == events
    assert item.eligibility.startswith("has_facts")


def test_a_tier_item_may_not_depend_on_tiers(admin):
    with pytest.raises(DomainError, match="may not depend on tiers"):
        item_update(actor=admin, item=AssistanceItem.objects.get(code="dibao"), data={"eligibility": "tier_tekun"})


@pytest.mark.parametrize("role", ["township_handler", "county_approver", "supervisor"])
def test_only_the_county_administrator_edits(admin, role):
    user = make_user(role, LINYI_TOWN if role.startswith("township") else LINYI_COUNTY)
    item = AssistanceItem.objects.get(code="dibao")
    with pytest.raises(Forbidden):
        item_update(actor=user, item=item, data={"name": "x"})
    with pytest.raises(Forbidden):
        standard_set(actor=user, year=2026, county_code="371424", area="rural", name="dibao", amount="800")
    assert item.versions.count() == 1


def test_not_together_with_is_symmetric_and_versions_both_items(admin):
    a = AssistanceItem.objects.get(code="elderly_allowance")
    b = AssistanceItem.objects.get(code="legal_aid")
    item_update(actor=admin, item=a, data={"excludes": ["legal_aid"]})
    assert list(b.excludes.values_list("code", flat=True)) == ["elderly_allowance"]
    b.refresh_from_db()
    assert b.current_version.snapshot["excludes"] == ["elderly_allowance"]


def test_create_item_and_refuse_negative_or_over_ceiling_benefits(admin):
    item = item_create(actor=admin, code="test_item", data={
        "name": "测试", "category": "living", "department": "civil_affairs", "eligibility": "True",
        "benefit": "item.base - per_capita_income", "parameters": {"base": "100"}, "household_ceiling": "50"})
    assert item.current_version.number == 1
    facts = {"per_capita_income": Decimal("300.00")}
    result = item_evaluate(item=item, facts=facts, on=timezone.localdate(), region_code=LINYI_VILLAGE)
    assert not result.eligible and result.refusal == "negative"
    result = item_evaluate(item=item, facts={"per_capita_income": Decimal("10.00")}, on=timezone.localdate(),
                           region_code=LINYI_VILLAGE)
    assert not result.eligible and result.refusal == "over_ceiling"
    assert any("50.00" in r for r in result.reasons)
    with pytest.raises(DomainError):
        item_create(actor=admin, code="test_item", data={"eligibility": "True"})


def test_standard_set_is_audited(admin):
    year = timezone.localdate().year  # a year the demo catalogue seeded (720 yuan)
    standard_set(actor=admin, year=year, county_code="371424", area="rural", name="dibao", amount="760")
    assert Standard.objects.get(year=year, county_code="371424", area="rural", name="dibao").amount == Decimal("760")
    event = AuditEvent.objects.filter(action="programs.standard.set").latest("id")
    assert event.old["amount"] == "720.0000" and event.new["amount"] == "760"


def test_standard_of_another_county_is_refused(admin):
    with pytest.raises(Forbidden):
        standard_set(actor=admin, year=2026, county_code="371425", area="rural", name="dibao", amount="1")


def test_item_evaluate_on_a_registered_household():
    ensure_demo_catalogue()
    household = make_household(LINYI_VILLAGE, members=[
        member_input("王五", age=50), member_input("赵六", relation="spouse", sex="F", age=48),
        member_input("王小", relation="child", age=10)], facts={"monthly_wages": Decimal("900.00")})
    on = timezone.localdate()
    facts = facts_for(household_id=household.pk, on=on)
    assert facts["per_capita_income"] == Decimal("300.00") and facts["applicant_age"] == 50
    result = item_evaluate(item="dibao", facts=facts, on=on, region_code=household.region_code)
    assert result.eligible and result.amount == Decimal("1260.00")  # (720 − 300) × 3


def test_rule_versions_are_listed_newest_first(admin):
    item = AssistanceItem.objects.get(code="dibao")
    item_update(actor=admin, item=item, data={"name": "低保"})
    assert list(RuleVersion.objects.filter(item=item).values_list("number", flat=True)) == [2, 1]
