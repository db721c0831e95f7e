"""政策找人 ("What could we get?"): a short plain-words questionnaire evaluated with the window's rules.

``questionnaire_facts`` turns the answers into the household facts vocabulary (``registry.facts.FACTS``
plus the applicant facts) exactly as ``registry.facts`` would compute them for a registered family;
``estimate`` evaluates every active item of the catalogue with ``programs.services.HouseholdEvaluator``
(the same code as the window's instant decision) and keeps the items the family may qualify for, each
with its amount and its reasons in plain sentences. Nothing is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from dajiuzhu.core.money import money

HOUSING_CODES = {"safe": 0, "c_class": 1, "d_class": 2, "none": 3}


@dataclasses.dataclass(frozen=True)
class Answers:
    """What the family tells us, in the questionnaire's words."""

    urban: bool
    members: int
    over_60: int = 0
    under_16: int = 0
    students: int = 0
    disabled: int = 0
    severely_disabled: int = 0
    seriously_ill: int = 0
    chronic_ill: int = 0
    able_to_work: int = 0
    unemployed: int = 0
    monthly_wages: Decimal = Decimal(0)
    monthly_other_income: Decimal = Decimal(0)
    savings: Decimal = Decimal(0)
    vehicles: int = 0
    extra_houses: int = 0
    medical_expense: Decimal = Decimal(0)
    education_expense: Decimal = Decimal(0)
    housing: str = "safe"
    my_age: int = 45
    my_disability_grade: int = 0
    my_seriously_ill: bool = False
    emergency: bool = False


def region_for(*, urban: bool, county_code: str | None = None) -> str:
    """A village code of the county standing for urban or rural (the standards differ by area only)."""
    county = (county_code or settings.PORTAL_COUNTY_CODE)[:6]
    return f"{county}100001" if urban else f"{county}100200"


def area_is_urban(region_code: str) -> bool:
    from dajiuzhu.programs.selectors import area_of

    return area_of(region_code) == "urban"


def questionnaire_facts(answers: Answers, *, on: dt.date) -> dict:
    size = max(1, answers.members)
    income = money(answers.monthly_wages + answers.monthly_other_income)
    rigid = money(answers.medical_expense + answers.education_expense)
    me_labour = 2 if (answers.my_age >= 60 or answers.my_age < 16 or answers.my_disability_grade in (1, 2)) else 0
    return {
        "household_size": size,
        "monthly_income": income,
        "per_capita_income": money(income / size),
        "financial_assets": money(answers.savings),
        "per_capita_financial_assets": money(answers.savings / size),
        "vehicles": answers.vehicles,
        "vehicles_non_disability": answers.vehicles,
        "extra_houses": answers.extra_houses,
        "annual_rigid_expense": rigid,
        "annual_medical_expense": money(answers.medical_expense),
        "annual_education_expense": money(answers.education_expense),
        "annual_income": money(income * 12),
        "housing_code": HOUSING_CODES.get(answers.housing, 0),
        "safe_water": True,
        "has_facts": True,
        "is_urban": answers.urban,
        "members_over_60": min(answers.over_60, size),
        "members_under_16": min(answers.under_16, size),
        "members_under_18": min(answers.under_16, size),
        "disabled_members": min(answers.disabled, size),
        "severely_disabled_members": min(answers.severely_disabled, answers.disabled, size),
        "seriously_ill_members": min(answers.seriously_ill, size),
        "chronic_ill_members": min(answers.chronic_ill, size),
        "max_adl_failed": 0,
        "labour_members": min(answers.able_to_work, size),
        "unemployed_able_members": min(answers.unemployed, answers.able_to_work, size),
        "students": min(answers.students, size),
        "head_age": answers.my_age,
        "applicant_age": answers.my_age,
        "applicant_disability_grade": answers.my_disability_grade,
        "applicant_adl_failed": 0,
        "applicant_labour": me_labour,
        "applicant_seriously_ill": answers.my_seriously_ill,
        "applicant_student": False,
    }


@dataclasses.dataclass
class Finding:
    code: str
    name: str
    amount: Decimal | None
    periodic: bool
    reasons: list[str]
    online: bool
    to_be_checked: bool = False  # decided on facts not in the questionnaire (an emergency, a disaster)


def plain_reasons(reasons, *, with_amount: bool) -> list[str]:
    """The condition sentences of an evaluation, without the benefit formula line (a resident reads the
    amount, not the arithmetic)."""
    from .words import plain

    out = [str(r) for r in reasons]
    if with_amount and out:
        out = out[:-1]
    return [plain(r) for r in out]


def estimate(*, facts: Mapping, region_code: str, on: dt.date | None = None, emergency: bool = False) -> list[Finding]:
    """Items the family may qualify for, most money first; with ``emergency`` also the items whose decisive
    condition only a worker can check (临时救助、受灾救助), without an amount."""
    from dajiuzhu.programs.cache import catalogue as current
    from dajiuzhu.programs.services import HouseholdEvaluator

    on = on or timezone.localdate()
    catalogue = current()
    evaluator = HouseholdEvaluator(facts=facts, on=on, region_code=region_code, catalogue=catalogue)
    findings: list[Finding] = []
    urgent: set[int] = set()
    if emergency:
        from dajiuzhu.programs.models import Category

        urgent = set(Category.objects.filter(code__in=("temporary", "disaster")).values_list("pk", flat=True))
    for item in catalogue.items:
        if not item.active or item.current_version_id is None:
            continue
        if not item.proactive:
            if item.category_id in urgent:
                findings.append(Finding(item.code, item.name, None, item.periodic, [], item.online_application,
                                        to_be_checked=True))
            continue
        evaluation = evaluator.evaluate(item)
        if not evaluation.eligible:
            continue
        findings.append(Finding(item.code, item.name, evaluation.amount, item.periodic,
                                plain_reasons(evaluation.reasons, with_amount=evaluation.amount is not None),
                                item.online_application))
    findings.sort(key=lambda f: (f.to_be_checked, -(f.amount or 0)))
    return findings
