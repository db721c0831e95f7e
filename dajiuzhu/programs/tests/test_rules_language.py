"""The rule language: what it accepts, what it refuses and how it says so."""

from decimal import Decimal

import pytest

from dajiuzhu.programs.rules import EvaluationError, RuleError, compile_rule, evaluate

FACTS = {"per_capita_income": Decimal("850.00"), "household_size": 3, "is_urban": False, "housing_code": 2,
         "members_over_60": 1, "applicant_age": 70}
STD = {"dibao": Decimal("720"), "near_poor_factor": Decimal("1.5")}


def value(text, facts=FACTS, std=STD, params=None, expect=None):
    return evaluate(compile_rule(text, expect=expect, params=params), facts=facts, standards=std, params=params)


def test_numbers_names_and_arithmetic():
    assert value("(std.dibao - per_capita_income) * household_size") == Decimal("-390.0000")
    assert value("1.5 * std.dibao") == Decimal("1080")
    assert value("std.near_poor_factor * std.dibao") == Decimal("1080")


def test_comparisons_and_boolean_logic():
    assert value("per_capita_income < std.dibao") is False
    assert value("per_capita_income < 1.5 * std.dibao and not is_urban") is True
    assert value("0 < household_size <= 3") is True
    assert value("housing_code in [1, 2]") is True
    assert value("housing_code not in [1, 2]") is False
    assert value("is_urban or members_over_60 > 0") is True


def test_if_else_and_functions():
    assert value("100 if applicant_age >= 80 else 50") == 50
    assert value("min(1, 2, 3) + max(4, 5) + abs(-2) + clamp(10, 0, 5)") == 13
    assert value("round(10 / 3, 2)") == Decimal("3.33")
    assert value("round(2.5)") == 3
    assert value("round(-2.5)") == -3


def test_multiplication_and_division_round_half_up_to_four_places():
    assert value("1 / 3") == Decimal("0.3333")
    assert value("2 / 3") == Decimal("0.6667")
    assert value("0.0001 * 0.5") == Decimal("0.0001")
    assert value("-0.0001 * 0.5") == Decimal("-0.0001")


def test_division_by_zero_is_an_evaluation_error_but_not_in_a_branch_not_taken():
    with pytest.raises(EvaluationError):
        value("1 / (household_size - 3)")
    assert value("0 if household_size == 3 else 1 / (household_size - 3)") == 0
    assert value("is_urban and 1 / (household_size - 3) > 0") is False


def test_missing_fact_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match="applicant_disability_grade"):
        value("applicant_disability_grade > 0")


@pytest.mark.parametrize("text, message", [
    ("per_capita_income <", "syntax error at line 1"),
    ("per_capita_incme < std.dibao", "did you mean “per_capita_income”"),
    ("__import__('os')", "unknown function"),
    ("per_capita_income.real", "only std.<name> and item.<name>"),
    ("'abc'", "only numbers"),
    ("x + 2", "unknown fact"),
    ("household_size ** 2", "not allowed"),
    ("lambda: 1", "not allowed"),
    ("[1, 2]", "not allowed"),
    ("is_urban + 1", "type error"),
    ("household_size and is_urban", "type error"),
    ("1 if is_urban else is_urban", "type error"),
    ("household_size == is_urban", "type error"),
    ("round(household_size, household_size)", "whole number"),
    ("housing_code in [household_size]", "written numbers"),
    ("0.00001 * household_size", "more than 4 decimal places"),
    ("item.missing", "unknown item parameter"),
])
def test_bad_rules_are_refused_with_a_clear_message(text, message):
    with pytest.raises(RuleError, match=message):
        compile_rule(text)


def test_syntax_error_gives_the_position():
    with pytest.raises(RuleError) as info:
        compile_rule("per_capita_income < < 3")
    assert info.value.position == (1, 21)
    assert info.value.kind == "syntax"


def test_unknown_standard_suggests_a_known_one():
    with pytest.raises(RuleError, match="did you mean “dibao”"):
        compile_rule("std.dibo > 0", standards={"dibao", "care_full"})


def test_an_eligibility_rule_must_be_a_boolean_and_a_benefit_a_number():
    with pytest.raises(RuleError, match="must give a boolean"):
        compile_rule("std.dibao - per_capita_income", expect="boolean")
    with pytest.raises(RuleError, match="must give a number"):
        compile_rule("per_capita_income < std.dibao", expect="number")


def test_item_parameters():
    assert value("item.amount * household_size", params={"amount": "100"}) == 300
    assert value("item.flag", params={"flag": True}) is True


def test_rules_are_never_evaluated_by_python():
    rule = compile_rule("household_size > 0")
    assert rule.facts == {"household_size"}
    with pytest.raises(RuleError):
        compile_rule("().__class__")
