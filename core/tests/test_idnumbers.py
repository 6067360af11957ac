"""Resident ID numbers: what a clerk or resident typing one in is told, and how it is shown."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.idnumbers import mask_id_number, validate_id_number

TODAY = dt.date(2025, 6, 1)
CHECK_CHARS = "0123456789X"


def check_char(first17: str) -> str:
    """GB 11643 written from the standard, not from the code under test.

    Weight of position i (1-based from the left) is 2^(18 - i) mod 11; the check value c makes
    the weighted sum plus c equal 1 mod 11, and 10 is written X.
    """
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return CHECK_CHARS[value]


def make_id(region: str, born: dt.date, sequence: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + check_char(first17)


def error_code(value: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        validate_id_number(value, today=TODAY, **kwargs)
    return info.value.code


def test_the_helper_agrees_with_the_published_example():
    # The example used in GB 11643 explanations: Beijing Chaoyang, born 31 December 1949.
    assert check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",
        make_id("430103", dt.date(1990, 2, 28), "123"),
        make_id("440305", dt.date(2000, 2, 29), "456"),  # a real leap day
        make_id("650102", dt.date(1900, 1, 1), "001"),
        make_id("310101", TODAY, "999"),  # born today is possible
    ],
)
def test_valid_numbers_are_accepted_and_returned_normalised(number):
    assert validate_id_number(number, today=TODAY) == number


def test_lowercase_x_and_spaces_are_normalised():
    assert validate_id_number(" 110105 19491231 002x ", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    "number", ["", "1101051949123100", "11010519491231002X1", "11010519491231"]
)
def test_wrong_length_is_refused(number):
    assert error_code(number) == "length"


@pytest.mark.parametrize(
    "number",
    ["1101051949123100AX", "A1010519491231002X", "11010519491231002Y", "110105-9491231002X"],
)
def test_letters_other_than_a_final_x_are_refused(number):
    assert error_code(number) == "format"


def test_x_anywhere_but_the_end_is_refused():
    assert error_code("1101051949123100X2") == "format"


@pytest.mark.parametrize("region", ["000000", "990101", "100101", "200101", "730101"])
def test_region_that_does_not_exist_is_refused(region):
    assert error_code(make_id(region, dt.date(1980, 5, 17), "123")) == "region"


@pytest.mark.parametrize(
    "first17",
    [
        "43010319900230123",  # 30 February
        "43010319890229123",  # 29 February of a common year
        "43010319901301123",  # month 13
        "43010319900431123",  # 31 April
        "43010319900100123",  # day 0
    ],
)
def test_birth_date_that_is_not_a_real_date_is_refused(first17):
    assert error_code(first17 + check_char(first17)) == "birth"


def test_birth_date_in_the_future_is_refused():
    tomorrow = TODAY + dt.timedelta(days=1)
    assert error_code(make_id("430103", tomorrow, "123")) == "birth"


def test_birth_date_before_1900_is_refused():
    assert error_code(make_id("430103", dt.date(1899, 12, 31), "123")) == "birth"


def test_wrong_check_character_is_refused_with_a_hint_to_look_for_a_typo():
    with pytest.raises(ValidationError) as info:
        validate_id_number("110105194912310021", today=TODAY)
    assert info.value.code == "checksum"
    with translation.override("en"):
        assert "typing error" in str(info.value.messages[0])


def test_swapping_two_digits_is_caught():
    number = make_id("430103", dt.date(1985, 7, 12), "356")
    swapped = number[:14] + number[15] + number[14] + number[16:]
    assert swapped != number
    assert error_code(swapped) == "checksum"


REGIONS = ["11", "12", "31", "43", "44", "50", "65", "81", "82"]


@hypothesis_settings(
    max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    region=st.sampled_from(REGIONS),
    county=st.from_regex(r"\A[0-9]{4}\Z"),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    sequence=st.from_regex(r"\A[0-9]{3}\Z"),
)
def test_exactly_one_check_character_validates_any_real_prefix(region, county, born, sequence):
    first17 = f"{region}{county}{born:%Y%m%d}{sequence}"
    accepted = []
    for char in CHECK_CHARS:
        try:
            validate_id_number(first17 + char, today=TODAY)
        except ValidationError as error:
            assert error.code == "checksum"
        else:
            accepted.append(char)
    assert accepted == [check_char(first17)]


def test_mask_shows_first_three_and_last_four_only():
    assert mask_id_number("430103199002281234") == "430***********1234"


def test_mask_normalises_a_lowercase_x():
    assert mask_id_number("11010519491231002x") == "110***********002X"


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    sequence=st.from_regex(r"\A[0-9]{3}\Z"),
)
def test_mask_never_reveals_the_birth_date_or_sequence(born, sequence):
    number = make_id("430103", born, sequence)
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:3] == number[:3]
    assert masked[-4:] == number[-4:]
    assert masked[3:14] == "*" * 11
    # Nothing between the first three and the last four leaks through.
    assert number[3:14] not in masked
    assert f"{born:%Y%m%d}" not in masked


# --- known bug, see the report: str.isdigit() accepts any Unicode digit ---------------------------


def test_full_width_digits_are_normalised_or_refused():
    # Chinese input methods often type full-width digits; they must never be stored as such.
    mixed = "110105１９４９１２３１００２X"
    try:
        number = validate_id_number(mixed, today=TODAY)
    except ValidationError:
        return
    assert number == "11010519491231002X"


def test_other_unicode_digits_are_refused_with_a_message():
    with pytest.raises(ValidationError):
        validate_id_number("11010519491231²02X", today=TODAY)
