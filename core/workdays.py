"""The working-day calendar: legal time limits (document requests, the director's mailbox) are
counted in working days, Monday to Friday less public holidays.

`core` knows no domain, so the holidays are passed in; `appointments.selectors.public_holidays`
reads them from the closures calendar (a closure with no office is a public holiday)."""

import datetime as dt
from collections.abc import Collection

ONE_DAY = dt.timedelta(days=1)


def is_working_day(day: dt.date, *, holidays: Collection[dt.date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: dt.date, days: int, *, holidays: Collection[dt.date] = ()
) -> dt.date:
    """The date on which a limit of `days` working days, counted from the day after `start`,
    ends. A request submitted on Friday with a 3-day limit is due on Wednesday."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += ONE_DAY
        if is_working_day(day, holidays=holidays):
            days -= 1
    return day


def working_days_between(
    first: dt.date, last: dt.date, *, holidays: Collection[dt.date] = ()
) -> int:
    """Working days in (first, last]: how many working days of a limit have been used between
    two dates (negative when `last` is before `first`)."""
    if last < first:
        return -working_days_between(last, first, holidays=holidays)
    count, day = 0, first
    while day < last:
        day += ONE_DAY
        count += is_working_day(day, holidays=holidays)
    return count
