import datetime as dt

import pytest

from dajiuzhu.core.ids import (
    InvalidIdNumber,
    check_character,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    parse_id_number,
)

# A 371424 (临邑县) number of someone born in 1965, before the code's period of use began:
# python-stdnum's cn.ric.validate rejects it; GB 11643-1999 accepts it.
BORN_1965 = "37142419650312" + "001"
BORN_1965 += check_character(BORN_1965)


def test_check_character_follows_gb11643_weights():
    # Worked example: 11010519491231002X is the standard's example number.
    assert check_character("11010519491231002") == "X"


def test_linyi_number_born_before_1994_is_valid():
    parsed = parse_id_number(BORN_1965)
    assert parsed.birth_date == dt.date(1965, 3, 12)
    assert parsed.sex == "M"
    assert parsed.address_code == "371424"


def test_lowercase_x_fullwidth_digits_and_spaces_are_normalised():
    assert normalise_id_number(" １１０１０５ 19491231002x ") == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ").number == "11010519491231002X"


def test_fifteen_digit_number_is_converted_to_eighteen():
    assert normalise_id_number("110105491231002") == "11010519491231002X"


def test_sequence_parity_gives_sex():
    assert parse_id_number("11010519491231002X").sex == "F"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("11010519491231002Y", "digits"),
        ("110105194912310021", "check character"),
        ("110105194902300025", "impossible birth date"),
        ("1101051949123100", "18 characters"),
        ("", "empty"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        parse_id_number(raw)


def test_future_birth_date_is_refused():
    first17 = "37142420990101001"
    with pytest.raises(InvalidIdNumber, match="implausible"):
        parse_id_number(first17 + check_character(first17), today=dt.date(2026, 1, 1))


def test_masking_keeps_only_the_ends():
    assert mask_id_number("37142419650312001X") == "3714**********001X"
    assert mask_phone("13805341234") == "138****1234"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳明月") == "欧阳**"
