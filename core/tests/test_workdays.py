import datetime as dt
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import workdays
from core.workdays import (
    add_working_days,
    is_make_up_day,
    is_statutory_holiday,
    is_working_day,
    statutory_years,
    working_days_between,
)

FRI = dt.date(2026, 9, 25)  # a Friday before the National Day week
NATIONAL_DAY = {dt.date(2026, 10, 1) + dt.timedelta(days=n) for n in range(7)}


def test_a_friday_submission_with_three_days_is_due_on_wednesday():
    assert add_working_days(FRI, 3) == dt.date(2026, 9, 30)


def test_public_holidays_push_the_deadline_past_the_golden_week():
    # Mon 28, Tue 29, Wed 30 are working days; 1–7 October are not; then Thu 8, Fri 9.
    assert add_working_days(FRI, 5, holidays=NATIONAL_DAY) == dt.date(2026, 10, 9)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(FRI, 0) == FRI
    with pytest.raises(ValueError):
        add_working_days(FRI, -1)


def test_weekends_and_holidays_are_not_working_days():
    assert not is_working_day(dt.date(2026, 9, 26))
    assert not is_working_day(dt.date(2026, 10, 2), holidays=NATIONAL_DAY)
    assert is_working_day(dt.date(2026, 10, 8), holidays=NATIONAL_DAY)


days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31))


@given(start=days, n=st.integers(min_value=0, max_value=40))
def test_counting_back_gives_the_number_of_days_added(start, n):
    end = add_working_days(start, n, holidays=NATIONAL_DAY)
    assert working_days_between(start, end, holidays=NATIONAL_DAY) == n
    assert working_days_between(end, start, holidays=NATIONAL_DAY) == -n
    assert n == 0 or is_working_day(end, holidays=NATIONAL_DAY)


# The State Council's 2026 arrangement, as chinesecalendar 1.11.0 lists it: 春节 15–23 February
# with Saturdays 14 and 28 February worked; 国庆节 1–7 October with Sunday 20 September and
# Saturday 10 October worked.


def test_the_statutory_calendar_knows_the_2026_make_up_working_days():
    assert is_working_day(dt.date(2026, 10, 10))  # a Saturday, worked (调休)
    assert is_working_day(dt.date(2026, 9, 20))  # a Sunday, worked
    assert is_working_day(dt.date(2026, 2, 14))  # a Saturday before 春节
    assert not is_working_day(dt.date(2026, 10, 1))  # a Thursday, 国庆节
    assert not is_working_day(dt.date(2026, 2, 23))  # a Monday, 春节
    assert is_make_up_day(dt.date(2026, 10, 10))
    assert not is_make_up_day(dt.date(2026, 10, 17))


def test_five_working_days_from_30_september_end_on_tuesday_13_october():
    # Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13; 1–7 October and Sunday 11 are off.
    assert add_working_days(dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 13)
    assert working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 13)) == 5


def test_three_working_days_from_friday_13_february_cross_the_spring_festival():
    # Sat 14 (make-up), then 15–23 off, Tue 24, Wed 25.
    assert add_working_days(dt.date(2026, 2, 13), 3) == dt.date(2026, 2, 25)


def test_the_administrators_days_come_before_the_statutory_calendar():
    saturday = dt.date(2026, 10, 17)
    assert is_working_day(saturday, workdays={saturday})
    assert not is_working_day(dt.date(2026, 10, 10), holidays={dt.date(2026, 10, 10)})


def test_beyond_the_packages_years_weekends_and_the_administrators_days_count_and_it_is_logged(
    caplog,
):
    first, last = statutory_years()
    assert (first, last) == (2004, 2026)
    workdays._warn_uncovered.cache_clear()  # once per year and process: earlier tests said it
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        # Thu 31 Dec, Fri 1 Jan 2027 (unknown to the package: a weekday), Mon 4 Jan.
        assert add_working_days(dt.date(2026, 12, 30), 3) == dt.date(2027, 1, 4)
    assert "covers 2004-2026 only: 2027" in caplog.text
    new_year = {dt.date(2027, 1, 1)}
    assert add_working_days(dt.date(2026, 12, 30), 3, holidays=new_year) == dt.date(2027, 1, 5)
    assert not is_statutory_holiday(dt.date(2027, 1, 1))
    assert is_statutory_holiday(dt.date(2026, 10, 3))
