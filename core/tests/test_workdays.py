import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.workdays import add_working_days, is_working_day, working_days_between

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
