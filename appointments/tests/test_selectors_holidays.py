import datetime as dt

from appointments.models import Closure
from appointments.selectors import public_holidays
from services.tests.factories import OfficeFactory


def test_only_closures_without_an_office_are_public_holidays(db):
    Closure.objects.create(
        start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 10, 7), reason_zh="国庆节"
    )
    Closure.objects.create(
        office=OfficeFactory(), start_date=dt.date(2026, 10, 12), end_date=dt.date(2026, 10, 12),
        reason_zh="内部培训",
    )
    days = public_holidays(first=dt.date(2026, 9, 30), last=dt.date(2026, 10, 31))
    assert days == {dt.date(2026, 10, 1) + dt.timedelta(days=n) for n in range(7)}
    # A range that cuts the holiday keeps only the days inside it.
    assert public_holidays(first=dt.date(2026, 10, 6), last=dt.date(2026, 10, 20)) == {
        dt.date(2026, 10, 6), dt.date(2026, 10, 7)
    }


def test_a_limit_in_working_days_skips_holidays_even_past_the_first_stretch_read(db):
    from appointments.selectors import working_days_after

    start = dt.date(2026, 6, 1)  # a Monday
    assert working_days_after(start=start, days=3) == dt.date(2026, 6, 4)
    # A 60-day closure for every office: longer than the 36 days first read for 3 days.
    Closure.objects.create(
        start_date=dt.date(2026, 6, 2), end_date=dt.date(2026, 7, 31), reason_zh="长假"
    )
    assert working_days_after(start=start, days=3) == dt.date(2026, 8, 5)


def test_the_administrators_days_reach_every_limit_counted_by_core(db):
    """Documents and feedback ask core.workdays; the closures calendar and the make-up working
    days reach them through the overrides appointments registers."""
    from appointments.models import MakeUpWorkingDay
    from core.workdays import working_days_after

    # 2027 is beyond chinesecalendar 1.11.0: weekdays only until the administrator says more.
    start = dt.date(2027, 2, 5)  # a Friday
    assert working_days_after(start=start, days=3) == dt.date(2027, 2, 10)
    Closure.objects.create(
        start_date=dt.date(2027, 2, 6), end_date=dt.date(2027, 2, 13), reason_zh="春节"
    )
    MakeUpWorkingDay.objects.create(date=dt.date(2027, 2, 14), reason_zh="春节调休")
    # Sun 14 (make-up), Mon 15, Tue 16.
    assert working_days_after(start=start, days=3) == dt.date(2027, 2, 16)
    # The statutory calendar stays underneath: 30 September 2026 + 5 is Tuesday 13 October.
    assert working_days_after(start=dt.date(2026, 9, 30), days=5) == dt.date(2026, 10, 13)
