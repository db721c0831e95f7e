import datetime as dt
from decimal import Decimal

import pytest

from dajiuzhu.core.normalise import looks_like_formula, parse_bool, parse_date, parse_decimal, parse_phone


@pytest.mark.parametrize("raw", ["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "２０２４－０３－０５"])
def test_dates_as_offices_write_them(raw):
    assert parse_date(raw) == dt.date(2024, 3, 5)


def test_impossible_date_says_so():
    with pytest.raises(ValueError, match="impossible"):
        parse_date("2023-02-30")


@pytest.mark.parametrize("raw, expected", [("1,234.5", "1234.50"), ("８００元", "800.00"), ("￥12", "12.00"), (" 0 ", "0.00")])
def test_amounts(raw, expected):
    assert parse_decimal(raw) == Decimal(expected)


def test_negative_amount_refused():
    with pytest.raises(ValueError, match="below"):
        parse_decimal("-5")


def test_formula_cells_are_detected_but_negative_numbers_are_not():
    assert looks_like_formula("=HYPERLINK(\"x\")")
    assert looks_like_formula("@SUM(A1)")
    assert not looks_like_formula("-12.5")
    assert not looks_like_formula("张三")


def test_yes_no_and_phone():
    assert parse_bool("是") is True and parse_bool("否") is False
    assert parse_phone("138 0534 1234") == "13805341234"
    with pytest.raises(ValueError):
        parse_phone("12345")


@pytest.mark.parametrize("text", ["1E100", "1e+300", "1000000000000", "-1E100"])
def test_a_number_too_large_for_any_amount_is_refused_with_a_reason_not_a_crash(text):
    from dajiuzhu.core.normalise import parse_decimal, parse_int

    with pytest.raises(ValueError):
        parse_decimal(text, minimum=None)
    with pytest.raises(ValueError):
        parse_int(text, minimum=None)


def test_the_largest_amount_a_money_column_holds_is_accepted():
    from decimal import Decimal

    from dajiuzhu.core.normalise import parse_decimal

    assert parse_decimal("999999999999.99") == Decimal("999999999999.99")
    assert parse_decimal("1e11") == Decimal("100000000000.00")
