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
