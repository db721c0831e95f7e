"""Property-based proof that the scalar and the vectorised evaluators agree exactly.

Hypothesis writes random expressions of the rule language and random households; every
household's scalar value (or evaluation error) must equal the vectorised one.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dajiuzhu.core.testing import LINYI_VILLAGE, URBAN_COMMUNITY
from dajiuzhu.programs.rules import EvaluationError, VectorEvaluator, compile_rule, evaluate
from dajiuzhu.programs.rules.language import SCALE
from dajiuzhu.programs.screening import frame_columns, frame_row, screen
from dajiuzhu.registry.facts import FACTS, FactFrame

NUM_FACTS = ["per_capita_income", "annual_income", "household_size", "applicant_age", "housing_code"]
BOOL_FACTS = ["is_urban", "safe_water", "applicant_student"]
PARAMS = {"share": "0.35", "flag": True}

decimals = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=4, allow_nan=False,
                       allow_infinity=False)
literal = st.one_of(st.integers(-20, 3000).map(str), decimals.map(lambda d: f"{d:f}").filter(lambda s: not s.startswith("-")))
num_leaf = st.one_of(st.sampled_from(NUM_FACTS), st.sampled_from(["std.dibao", "std.ratio", "item.share"]), literal)
bool_leaf = st.one_of(st.sampled_from(BOOL_FACTS), st.sampled_from(["True", "False", "item.flag"]))
COMPARE = ["<", "<=", ">", ">=", "==", "!="]


def _extend(children):
    num = st.one_of(
        st.tuples(children, children, st.sampled_from("+-*/")).map(lambda t: f"({t[0][0]} {t[2]} {t[1][0]})"),
        children.map(lambda c: f"(-{c[0]})"),
        st.tuples(children, children, st.sampled_from(["min", "max"])).map(lambda t: f"{t[2]}({t[0][0]}, {t[1][0]})"),
        children.map(lambda c: f"abs({c[0]})"),
        st.tuples(children, children, children).map(lambda t: f"clamp({t[0][0]}, {t[1][0]}, {t[2][0]})"),
        st.tuples(children, st.integers(0, 4)).map(lambda t: f"round({t[0][0]}, {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0][0]} if {t[1][1]} else {t[2][0]})"),
    )
    boolean = st.one_of(
        st.tuples(children, children, st.sampled_from(COMPARE)).map(lambda t: f"({t[0][0]} {t[2]} {t[1][0]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0][0]} < {t[1][0]} <= {t[2][0]})"),
        st.tuples(children, children, st.sampled_from(["and", "or"])).map(lambda t: f"({t[0][1]} {t[2]} {t[1][1]})"),
        children.map(lambda c: f"(not {c[1]})"),
        st.tuples(children, st.lists(st.integers(0, 5), min_size=1, max_size=3)).map(
            lambda t: f"({t[0][0]} in {t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0][1]} if {t[1][1]} else {t[2][1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0][1]} == {t[1][1]})"),
    )
    return st.tuples(num, boolean)


expressions = st.recursive(st.tuples(num_leaf, bool_leaf), _extend, max_leaves=12)

money_fen = st.one_of(st.integers(-100_000, 2_000_000), st.integers(-10**13, 10**13), st.sampled_from([0, 1, 50, -50]))
household = st.fixed_dictionaries({
    "per_capita_income": money_fen, "annual_income": money_fen,
    "household_size": st.integers(0, 8), "applicant_age": st.integers(0, 100), "housing_code": st.integers(0, 3),
    "is_urban": st.booleans(), "safe_water": st.booleans(), "applicant_student": st.booleans(),
})
standards = st.fixed_dictionaries({
    "dibao": st.decimals(min_value=0, max_value=2000, places=4),
    "ratio": st.decimals(min_value=0, max_value=3, places=4),
})


def _frame(rows):
    n = len(rows)
    columns = {}
    for name in rows[0]:
        dtype = bool if FACTS.get(name, ("bool",))[0] == "bool" or name == "applicant_student" else np.int64
        columns[name] = np.array([r[name] for r in rows], dtype=dtype)
    return FactFrame(on=dt.date(2026, 6, 1), household_ids=np.arange(n), region_codes=np.array([LINYI_VILLAGE] * n),
                     columns=columns)


@settings(max_examples=400, deadline=None)
@given(expr=expressions, rows=st.lists(household, min_size=1, max_size=12),
       std_rows=st.lists(standards, min_size=12, max_size=12), which=st.sampled_from([0, 1]))
def test_scalar_and_vectorised_evaluators_agree(expr, rows, std_rows, which):
    rule = compile_rule(expr[which], params=PARAMS)
    frame = _frame(rows)
    std_rows = std_rows[: len(rows)]
    std_columns = {name: np.array([int(s[name] * SCALE) for s in std_rows], dtype=np.int64) for name in ("dibao", "ratio")}
    values, errors = VectorEvaluator(n=len(rows), columns=frame_columns(frame), standards=std_columns,
                                     params=PARAMS).run(rule)
    for i in range(len(rows)):
        try:
            expected = evaluate(rule, facts=frame_row(frame, i), standards=std_rows[i], params=PARAMS)
        except EvaluationError:
            assert errors is not None and errors[i], (expr[which], rows[i], std_rows[i])
            continue
        assert errors is None or not errors[i], (expr[which], rows[i], std_rows[i])
        if isinstance(expected, bool):
            assert bool(values[i]) is expected, (expr[which], rows[i], std_rows[i])
        else:
            assert int(values[i]) == int(expected * SCALE), (expr[which], rows[i], std_rows[i], expected, values[i])


# ---------------------------------------------------------------- the whole demo catalogue

full_household = st.fixed_dictionaries({
    "household_size": st.integers(1, 7),
    "per_capita_income": st.one_of(st.integers(0, 200_000), st.sampled_from([72_000, 108_000, 90_000])),
    "per_capita_financial_assets": st.integers(0, 3_000_000),
    "vehicles_non_disability": st.integers(0, 1), "extra_houses": st.integers(0, 1),
    "annual_rigid_expense": st.integers(0, 8_000_000), "annual_medical_expense": st.integers(0, 8_000_000),
    "housing_code": st.integers(0, 3), "is_urban": st.booleans(), "has_facts": st.booleans(),
    "members_over_60": st.integers(0, 2), "disabled_members": st.integers(0, 2),
    "seriously_ill_members": st.integers(0, 2), "chronic_ill_members": st.integers(0, 2),
    "max_adl_failed": st.integers(0, 6), "labour_members": st.integers(0, 3),
    "unemployed_able_members": st.integers(0, 2), "students": st.integers(0, 2),
    "applicant_age": st.integers(0, 95), "applicant_disability_grade": st.integers(0, 4),
    "applicant_adl_failed": st.integers(0, 6), "applicant_labour": st.integers(0, 2),
    "applicant_seriously_ill": st.booleans(), "applicant_student": st.booleans(),
    "applicant_able_supporters": st.integers(0, 2),
    "has_event": st.booleans(), "event_days": st.integers(0, 120), "event_loss": st.integers(0, 5_000_000),
    "event_house": st.integers(0, 2), "event_injured": st.integers(0, 2), "event_deaths": st.integers(0, 1),
})


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(full_household, min_size=1, max_size=8), urban=st.lists(st.booleans(), min_size=8, max_size=8))
def test_screening_agrees_with_item_evaluate_for_every_demo_item(rows, urban):
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.programs.services import item_evaluate_many

    on = dt.date(2026, 6, 1)
    ensure_demo_catalogue(today=on)
    for row in rows:
        row["monthly_income"] = row["per_capita_income"] * row["household_size"]
        row["annual_income"] = row["monthly_income"] * 12
    n = len(rows)
    codes = np.array([URBAN_COMMUNITY if urban[i] else LINYI_VILLAGE for i in range(n)])
    columns = {name: np.array([r[name] for r in rows], dtype=bool if isinstance(rows[0][name], bool) else np.int64)
               for name in rows[0]}
    frame = FactFrame(on=on, household_ids=np.arange(n), region_codes=codes, columns=columns)
    items = list(AssistanceItem.objects.select_related("current_version").all())
    result = screen(frame, items)
    for i in range(n):
        evaluations = item_evaluate_many(items=items, facts=frame_row(frame, i), on=on, region_code=str(codes[i]))
        for evaluation in evaluations:
            code = evaluation.item_code
            assert bool(result.eligible[code][i]) == evaluation.eligible, (code, rows[i], evaluation.reasons)
            assert result.amount(code, i) == evaluation.amount, (code, rows[i], evaluation.reasons)


def test_a_fact_missing_from_the_frame_is_an_error_as_in_the_scalar_evaluator():
    rule = compile_rule("students > 0 or is_urban")
    frame = _frame([{"is_urban": True, "household_size": 1}, {"is_urban": False, "household_size": 1}])
    values, errors = VectorEvaluator(n=2, columns=frame_columns(frame), standards={}).run(rule)
    assert errors.tolist() == [True, True]
    with pytest.raises(EvaluationError):
        evaluate(rule, facts=frame_row(frame, 0), standards={})
