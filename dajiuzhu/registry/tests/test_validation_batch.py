"""Column-wise validation (``parse_members``, ``parse_household_facts_many``, ``parse_id_numbers``) gives,
row for row, exactly what the per-row validators of the forms give: the same clean values for the rows
they accept, the same problems in the same order for the rows they reject."""

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dajiuzhu.core.ids import InvalidIdNumber, check_character, parse_id_number, parse_id_numbers
from dajiuzhu.core.testing import LINYI_VILLAGE, LINYI_VILLAGE_2
from dajiuzhu.registry.validation import (
    MONEY_FIELDS,
    RowInvalid,
    parse_household_facts,
    parse_household_facts_many,
    parse_member,
    parse_members,
)

TODAY = dt.date(2026, 11, 30)
KNOWN = frozenset({LINYI_VILLAGE, LINYI_VILLAGE_2, "371424000000"})


def _id(birth: str, sequence: int, *, check: bool = True) -> str:
    first17 = f"371424{birth}{sequence % 1000:03d}"
    return first17 + (check_character(first17) if check else ("0" if check_character(first17) != "0" else "1"))


id_numbers = st.one_of(
    st.builds(lambda d, s: _id(d.strftime("%Y%m%d"), s), st.dates(dt.date(1880, 1, 1), dt.date(2030, 1, 1)),
              st.integers(0, 999)),
    st.builds(lambda d, s: _id(d.strftime("%Y%m%d"), s, check=False), st.dates(dt.date(1950, 1, 1),
                                                                               dt.date(2020, 1, 1)),
              st.integers(0, 999)),
    st.builds(lambda y, m, d, s: _id(f"{y:04d}{m:02d}{d:02d}", s), st.integers(0, 2100), st.integers(0, 13),
              st.integers(0, 32), st.integers(0, 999)),
    st.builds(lambda d, s: _id(d.strftime("%Y%m%d"), s).lower(), st.dates(dt.date(1950, 1, 1), dt.date(2020, 1, 1)),
              st.integers(0, 999)),  # a lower-case x
    st.builds(lambda d, s: f"371424{d:%y%m%d}{s:03d}", st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)),
              st.integers(0, 999)),  # old 15 digits
    st.builds(lambda d, s: " " + _id(d.strftime("%Y%m%d"), s).translate({i: i + 0xFEE0 for i in range(48, 58)}),
              st.dates(dt.date(1950, 1, 1), dt.date(2020, 1, 1)), st.integers(0, 999)),  # full-width
    st.sampled_from(["", None, "37142419800101001", "3714241980010100XX", "abc", "37142419800101001Ｘ"]),
    st.text(max_size=20),
)


def cell(*choices):
    return st.one_of(st.sampled_from(list(choices)), st.none(), st.just(""), st.text(max_size=8))


members = st.fixed_dictionaries({
    "name": cell("张三", " 李 四 ", "=1+1", "王" * 61, "马子"),
    "id_number": id_numbers,
    "sex": cell("男", "女", "M", "f", "male", "x"),
    "birth_date": cell("1980-01-01", "2024/3/5", "1990年3月5日", "20000230", "abc"),
    "relation": cell("户主", "配偶", "spouse", "head", "邻居", "本人", "child"),
    "phone": cell("13800138000", "138 0013 8000", "+8613800138000", "0534-1234567", "12345", "１３８００１３８０００"),
    "hukou_region_code": cell(LINYI_VILLAGE, "371424100999", "3714", " " + LINYI_VILLAGE_2),
    "disability_grade": cell("1", "2", "4", "5", "0", "2.0", "x"),
    "disability_category": cell("肢体", "visual", "多重残疾", "鬼"),
    "adl_failed": cell("0", "3", "6", "7", "-1"),
    "ethnicity": cell("汉族", "回族", "=A1", "x" * 21),
    "marital_status": cell("已婚", "married", "离异", "嫁"),
    "education": cell("初中", "junior", "大学", "博士"),
    "health": cell("健康", "慢性病", "chronic", "不好"),
    "illness": cell("高血压", "x" * 101, "@SUM(1)"),
    "disability_certificate": cell("37142419800101001X41", "y" * 41),
    "labour": cell("有劳动能力", "partial", "半劳动能力", "强"),
    "employment": cell("务农", "student", "在校", "闲"),
})


def per_row(raw):
    try:
        return parse_member(raw, today=TODAY, known_codes=KNOWN)
    except RowInvalid as exc:
        return exc


def same(a, b) -> bool:
    if isinstance(a, RowInvalid) or isinstance(b, RowInvalid):
        return isinstance(a, RowInvalid) and isinstance(b, RowInvalid) and a.problems == b.problems
    return a == b


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(members, min_size=1, max_size=12), st.data())
def test_parse_members_equals_parse_member_row_for_row(rows, data):
    present = data.draw(st.sets(st.sampled_from(sorted(rows[0])), min_size=0))  # some columns absent from the file
    raws = [{k: v for k, v in row.items() if k not in present or k in ("name", "id_number", "relation")}
            for row in rows]
    columns = {k: [raw.get(k) for raw in raws] for k in raws[0]}
    batch = parse_members(columns, len(raws), today=TODAY, known_codes=KNOWN)
    for raw, got in zip(raws, batch, strict=True):
        assert same(got, per_row(raw)), (raw, got, per_row(raw))


def test_parse_members_accepts_clean_rows_without_the_per_row_validator(monkeypatch):
    """The fast path really is column-wise: clean rows never reach ``parse_member``."""
    from dajiuzhu.registry import validation

    rows = [{"name": "张三", "id_number": _id("19800101", 1), "relation": "户主", "sex": "男", "phone": "13800138000",
             "health": "慢性病", "birth_date": "1980-01-01"},
            {"name": "李四", "id_number": _id("19820304", 2), "relation": "配偶", "sex": "女", "phone": "",
             "health": "", "birth_date": ""}]
    expected = [per_row(r) for r in rows]
    monkeypatch.setattr(validation, "parse_member", lambda *a, **k: pytest.fail("per-row validator called"))
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    assert validation.parse_members(columns, 2, today=TODAY, known_codes=KNOWN) == expected


def test_typed_cells_are_not_confused_by_equal_values():
    """1, 1.0 and True are equal dict keys; the validators see them as different cells."""
    raws = [{"name": "张三", "id_number": _id("19800101", 1), "relation": "户主", "disability_grade": v,
             "disability_category": "肢体", "adl_failed": v} for v in (1, 1.0, True, 1.5)]
    columns = {k: [r[k] for r in raws] for k in raws[0]}
    for raw, got in zip(raws, parse_members(columns, 4, today=TODAY, known_codes=KNOWN), strict=True):
        assert same(got, per_row(raw))


amounts = cell("0", "0.00", "1,234.50", "800元", "１２３４．５", "-1", "abc", "200000000", "1e3", "NaN")
counts = cell("0", "1", "2", "99", "100", "-1", "1.5")
households = st.fixed_dictionaries({
    **{k: amounts for k in MONEY_FIELDS},
    "vehicles": counts, "vehicles_for_disability": counts, "extra_houses": counts,
    "housing": cell("安全", "C级危房", "d_class", "草房"), "safe_water": cell("是", "否", "yes", "0", "maybe"),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(households, min_size=1, max_size=10), st.data())
def test_parse_household_facts_many_equals_parse_household_facts(rows, data):
    absent = data.draw(st.sets(st.sampled_from(sorted(rows[0]))))
    rows = [{k: v for k, v in row.items() if k not in absent} for row in rows]
    expected = []
    for raw in rows:
        try:
            expected.append(parse_household_facts(raw))
        except RowInvalid as exc:
            expected.append(exc)
        except ArithmeticError as exc:  # "1E100": the kernel's parse_int fails the same way on both paths
            with pytest.raises(type(exc)):
                parse_household_facts_many(rows)
            return
    for raw, got, want in zip(rows, parse_household_facts_many(rows), expected, strict=True):
        assert same(got, want), (raw, got, want)


@settings(max_examples=200, deadline=None)
@given(st.lists(id_numbers, max_size=20))
def test_parse_id_numbers_equals_parse_id_number(values):
    for value, got in zip(values, parse_id_numbers(values, today=TODAY), strict=True):
        try:
            expected = parse_id_number(value, today=TODAY)
        except InvalidIdNumber as exc:
            assert isinstance(got, InvalidIdNumber) and str(got) == str(exc)
        else:
            assert got == expected


def valid(*choices):
    return st.sampled_from([*choices, "", None])


mostly_valid = st.fixed_dictionaries({
    "name": st.sampled_from(["张三", " 李 四 ", "马子", "=1+1"]),
    "id_number": st.one_of(id_numbers, st.builds(lambda d, s: _id(d.strftime("%Y%m%d"), s),
                                                 st.dates(dt.date(1930, 1, 1), dt.date(2025, 1, 1)),
                                                 st.integers(0, 999))),
    "sex": valid("男", "女", "M", "f"),
    "birth_date": valid("1980-01-01", "2024/3/5"),
    "relation": st.sampled_from(["户主", "配偶", "spouse", "head", "子女"]),
    "phone": valid("13800138000", "138 0013 8000", "0534-1234567", "１３８００１３８０００"),
    "hukou_region_code": valid(LINYI_VILLAGE, " " + LINYI_VILLAGE_2),
    "disability_grade": valid("1", "2", "4"),
    "disability_category": valid("肢体", "visual", "多重残疾"),
    "adl_failed": valid("0", "3", "6"),
    "ethnicity": valid("汉族", "回族"),
    "marital_status": valid("已婚", "married", "离异"),
    "education": valid("初中", "junior", "大学"),
    "health": valid("健康", "慢性病", "chronic"),
    "illness": valid("高血压"),
    "disability_certificate": valid("37142419800101001X41"),
    "labour": valid("有劳动能力", "partial", "半劳动能力"),
    "employment": valid("务农", "student", "在校"),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mostly_valid, min_size=1, max_size=12))
def test_parse_members_equals_parse_member_on_mostly_valid_rows(rows):
    columns = {k: [raw.get(k) for raw in rows] for k in rows[0]}
    for raw, got in zip(rows, parse_members(columns, len(rows), today=TODAY, known_codes=KNOWN), strict=True):
        assert same(got, per_row(raw)), (raw, got, per_row(raw))
