"""Verified facts and the re-run of the items' rules on them.

``verified_facts`` takes the declared facts of a household (``registry.facts``, Decimal yuan)
and corrects what the department data contradicts (only the discrepancies: a department
that knows less than the household declared does not lower a declaration). ``benefit_items``
are the items whose rules are re-run: the case's items, or what the household receives.
``evaluate`` calls ``programs.services.item_evaluate``; without the programs app nothing is
evaluated and the report says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from dajiuzhu.registry.models import Person

from .compare import Comparison

CENT = Decimal("0.01")


def _yuan(fen) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(CENT)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def verified_facts(declared: dict, cmp: Comparison, i: int, *, only: set[str] | None = None) -> dict:
    """The declared facts corrected by the discrepant comparisons (all, or ``only`` these)."""
    facts = dict(declared)
    use = {code for code, mask in cmp.discrepant.items() if mask[i] and (only is None or code in only)}
    if not use:
        return facts

    def delta(code: str) -> Decimal:
        return _yuan(cmp.found[code][i] - cmp.declared[code][i])

    money = Decimal
    for code in ("wages", "transfers", "business"):
        if code in use:
            facts["monthly_income"] = money(facts["monthly_income"]) + delta(code)
    for code in ("deposits", "securities", "insurance"):
        if code in use:
            facts["financial_assets"] = money(facts["financial_assets"]) + delta(code)
    if "vehicles" in use:
        household_id = int(cmp.household_ids[i])
        mask = (cmp.rows.household_id == household_id) & (cmp.rows.data_type == "vehicle")
        for_disability = int(cmp.rows.quantity2[mask].sum())
        facts["vehicles"] = int(cmp.found["vehicles"][i])
        facts["vehicles_non_disability"] = max(0, facts["vehicles"] - for_disability)
    if "houses" in use:
        facts["extra_houses"] = int(cmp.found["houses"][i])
    if "medical" in use:
        change = delta("medical")
        facts["annual_medical_expense"] = money(facts["annual_medical_expense"]) + change
        facts["annual_rigid_expense"] = money(facts["annual_rigid_expense"]) + change
    household_id = int(cmp.household_ids[i])
    members = set(int(p) for p in cmp.rows.person_id[cmp.rows.household_id == household_id])
    if "deaths" in use:
        dead = [p for p in members if p in cmp.dead_people]
        for person in Person.objects.filter(pk__in=dead).only("birth_date"):
            age = _age(person.birth_date, cmp.on)
            facts["household_size"] = max(0, int(facts["household_size"]) - 1)
            for name, hit in (("members_over_60", age >= 60), ("members_under_16", age < 16),
                              ("members_under_18", age < 18)):
                if hit and name in facts:
                    facts[name] = max(0, int(facts[name]) - 1)
            if 16 <= age < 60 and "labour_members" in facts:
                facts["labour_members"] = max(0, int(facts["labour_members"]) - 1)
    if "disability" in use:
        for person in members:
            if person in cmp.grade_of and person not in cmp.dead_people:
                found, declared_grade = cmp.grade_of[person]
                for name, test in (("disabled_members", lambda g: g > 0),
                                   ("severely_disabled_members", lambda g: 0 < g <= 2)):
                    if name in facts:
                        facts[name] = max(0, int(facts[name]) - int(test(declared_grade)) + int(test(found)))
    size = int(facts.get("household_size") or 0)
    income = money(facts["monthly_income"])
    facts["annual_income"] = (income * 12).quantize(CENT)
    if size:
        facts["per_capita_income"] = (max(income, Decimal(0)) / size).quantize(CENT, rounding=ROUND_HALF_UP)
        facts["per_capita_financial_assets"] = (money(facts["financial_assets"]) / size).quantize(
            CENT, rounding=ROUND_HALF_UP)
    return facts


@dataclasses.dataclass
class Outcome:
    eligible: bool
    amount: Decimal | None


def evaluate(item, facts: dict, *, on: dt.date, region_code: str) -> Outcome | None:
    try:
        from dajiuzhu.programs.services import item_evaluate
    except ImportError:
        return None
    result = item_evaluate(item=item, facts=facts, on=on, region_code=region_code)
    return Outcome(eligible=bool(result.eligible), amount=result.amount)


def benefit_items(household, case=None, *, on: dt.date) -> list:
    """Case items whose rules are re-run: the case's items, or the benefits the household receives."""
    try:
        from dajiuzhu.cases.selectors import household_benefits
    except ImportError:
        return []
    if case is not None:
        return list(case.items.select_related("item").order_by("id"))
    return list(household_benefits(household_id=household.pk, on=on).order_by("id"))


def jsonable_facts(facts: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else (v.item() if isinstance(v, np.generic) else v))
            for k, v in facts.items()}
