"""The working-day calendar: legal time limits (document requests, the director's mailbox, follow-up
cases) are counted in working days, and appointment slots are offered on working days.

A day's standing is decided in this order:
1. the overrides the apps declare (`register_overrides`): a holiday or a local closure for every
   office (appointments: a closure with no office) is a day off; a make-up working day declared by
   the administrator is a working day;
2. the State Council's arrangement as published in the `chinesecalendar` package: statutory
   holidays and the weekend days worked in exchange (调休, e.g. Saturday 2026-10-10);
3. beyond the years the package covers: Monday to Friday, logged once per year as a warning, so
   an operator knows to enter that year's holidays and make-up days by hand (or update the
   package) until a release covering it is installed.

`core` knows no domain, so it owns the rules and the apps hand it their days: either passed to
each call (`holidays`, `workdays`), or once, from an app's `ready()`, by `register_overrides`; the
layers above (documents, feedback) then ask core and never import appointments for it.
"""

import datetime as dt
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Overrides:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)


OverrideSource = Callable[[dt.date, dt.date], Overrides]
_sources: list[OverrideSource] = []


def register_overrides(source: OverrideSource) -> None:
    """Add a reader of an app's own holidays and make-up working days, called with (first, last)."""
    if source not in _sources:
        _sources.append(source)


def overrides_between(first: dt.date, last: dt.date) -> Overrides:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for source in _sources:
        found = source(first, last)
        holidays |= found.holidays
        workdays |= found.workdays
    return Overrides(frozenset(holidays), frozenset(workdays))


def statutory_years() -> tuple[int, int]:
    """The first and last year of the State Council arrangements the installed package knows."""
    return min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year


@cache
def _warn_uncovered(year: int) -> None:
    first, last = statutory_years()
    log.warning(
        "chinesecalendar %s covers %s-%s only: %s counts Monday to Friday as working days, less "
        "the holidays and plus the make-up working days entered by the administrator",
        chinese_calendar.__version__, first, last, year,
    )  # fmt: skip


def statutory_working_day(day: dt.date) -> bool:
    """Whether `day` is worked under the State Council arrangement (weekends and holidays off,
    make-up days worked); Monday to Friday, with a warning, in a year the package lacks."""
    first, last = statutory_years()
    if first <= day.year <= last:
        return chinese_calendar.is_workday(day)
    _warn_uncovered(day.year)
    return day.weekday() < 5


def is_statutory_holiday(day: dt.date) -> bool:
    """A day of a statutory holiday (春节, 国庆节, …), weekends inside it included; False in a
    year the package lacks (the administrator's closures stand in for it then)."""
    first, last = statutory_years()
    if first <= day.year <= last:
        return day in chinese_calendar.holidays
    _warn_uncovered(day.year)
    return False


def is_working_day(
    day: dt.date, *, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return statutory_working_day(day)


def is_make_up_day(day: dt.date, *, workdays: Collection[dt.date] = ()) -> bool:
    """A Saturday or Sunday that is worked (调休)."""
    return day.weekday() >= 5 and is_working_day(day, workdays=workdays)


def add_working_days(
    start: dt.date,
    days: int,
    *,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> dt.date:
    """The date on which a limit of `days` working days, counted from the day after `start`,
    ends. A request submitted on Friday with a 3-day limit is due on Wednesday."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += ONE_DAY
        if is_working_day(day, holidays=holidays, workdays=workdays):
            days -= 1
    return day


def working_days_between(
    first: dt.date,
    last: dt.date,
    *,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> int:
    """Working days in (first, last]: how many working days of a limit have been used between
    two dates (negative when `last` is before `first`)."""
    if last < first:
        return -working_days_between(last, first, holidays=holidays, workdays=workdays)
    count, day = 0, first
    while day < last:
        day += ONE_DAY
        count += is_working_day(day, holidays=holidays, workdays=workdays)
    return count


def working_days_after(*, start: dt.date, days: int) -> dt.date:
    """The last day of a limit of `days` working days counted from the day after `start`, with
    the registered overrides. They are read for a stretch ahead, longer if the limit runs past."""
    stretch = dt.timedelta(days=2 * days + 30)
    horizon = start + stretch
    while True:
        found = overrides_between(start, horizon)
        due = add_working_days(start, days, holidays=found.holidays, workdays=found.workdays)
        if due <= horizon:
            return due
        horizon += stretch


def working_days_from_to(first: dt.date, last: dt.date) -> int:
    """Working days in (first, last] with the registered overrides."""
    found = overrides_between(min(first, last), max(first, last))
    return working_days_between(first, last, holidays=found.holidays, workdays=found.workdays)
