"""Slots materialised from schedules: idempotent, never losing a booked slot."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from appointments import actions
from appointments.models import Closure, SchedulePeriod, Slot
from appointments.tests.factories import ScheduleFactory, book

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 7, 0, tzinfo=SHANGHAI)  # a Wednesday, before opening
WED, THU, FRI, MON = (dt.date(2025, 6, d) for d in (4, 5, 6, 9))


@pytest.fixture
def schedule():
    """Mon–Fri 09:00–12:00, 30-minute slots of 4 places, 3 bookable."""
    return ScheduleFactory()


def slots_by_day(schedule) -> dict[dt.date, int]:
    days: dict[dt.date, int] = {}
    for start in Slot.objects.filter(schedule=schedule).values_list("start", flat=True):
        day = start.astimezone(SHANGHAI).date()
        days[day] = days.get(day, 0) + 1
    return days


def generate() -> dict[str, int]:
    return actions.slot_generate(days=8)


def slot_at(schedule, day: dt.date, hour: int = 9, minute: int = 0) -> Slot:
    start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
    return Slot.objects.get(schedule=schedule, start=start)


def test_slots_follow_the_weekly_periods(schedule):
    stats = generate()

    # Wed 4 to Wed 11 June: six working days of six half-hour slots.
    assert stats == {"created": 36, "updated": 0, "deleted": 0}
    working_days = (WED, THU, FRI, MON, dt.date(2025, 6, 10), dt.date(2025, 6, 11))
    assert slots_by_day(schedule) == dict.fromkeys(working_days, 6)
    first = slot_at(schedule, WED)
    assert (first.capacity, first.bookable, first.booked) == (4, 3, 0)
    assert first.end - first.start == dt.timedelta(minutes=30)
    assert first.office == schedule.office
    assert not Slot.objects.filter(schedule=schedule, start=slot_at(schedule, WED, 11, 30).end)


def test_generating_twice_changes_nothing(schedule):
    generate()
    before = sorted(Slot.objects.values_list("pk", "start", "capacity", "bookable"))

    assert generate() == {"created": 0, "updated": 0, "deleted": 0}
    assert sorted(Slot.objects.values_list("pk", "start", "capacity", "bookable")) == before


def test_the_management_command_is_idempotent(schedule):
    out = StringIO()
    call_command("generate_slots", "--days", "8", stdout=out)
    assert out.getvalue().strip() == "Slots: 36 created, 0 updated, 0 removed."
    pks = set(Slot.objects.values_list("pk", flat=True))

    out = StringIO()
    call_command("generate_slots", "--days", "8", stdout=out)
    assert out.getvalue().strip() == "Slots: 0 created, 0 updated, 0 removed."
    assert set(Slot.objects.values_list("pk", flat=True)) == pks


def test_more_days_extend_the_horizon(schedule):
    generate()
    actions.slot_generate(days=15)
    assert len(slots_by_day(schedule)) == 11  # 4–18 June: eleven working days


def test_a_schedule_change_removes_unbooked_slots_but_never_a_booked_one(schedule):
    generate()
    booked = book(slot_at(schedule, FRI, 10))
    cancelled = book(slot_at(schedule, FRI, 11), person=2)
    actions.booking_cancel(booking=cancelled)
    actions.slot_release_embargoed_places(now=NOW + dt.timedelta(hours=1))

    SchedulePeriod.objects.filter(schedule=schedule, weekday=4).delete()  # no more Fridays
    stats = generate()

    # Friday's booked slot stays, and so does the one whose booking history points at it.
    assert stats["deleted"] == 4
    assert set(
        Slot.objects.filter(schedule=schedule, start__date=FRI).values_list("pk", flat=True)
    ) == {booked.slot_id, cancelled.slot_id}
    booked.refresh_from_db()
    assert booked.status == "booked"
    assert generate() == {"created": 0, "updated": 0, "deleted": 0}


def test_shorter_hours_remove_the_slots_outside_them(schedule):
    generate()
    SchedulePeriod.objects.filter(schedule=schedule).update(end=dt.time(11, 0))
    stats = generate()
    assert stats["deleted"] == 6 * 2
    assert set(slots_by_day(schedule).values()) == {4}


def test_past_slots_are_never_removed(schedule):
    with time_machine.travel(NOW - dt.timedelta(days=7), tick=False):
        generate()
    past = Slot.objects.filter(schedule=schedule, start__lt=NOW).count()
    assert past > 0
    SchedulePeriod.objects.filter(schedule=schedule).delete()
    actions.slot_generate(days=8, first=WED - dt.timedelta(days=7))
    assert Slot.objects.filter(schedule=schedule, start__lt=NOW).count() == past


def test_valid_from_and_until_bound_the_slots(schedule):
    schedule.valid_from, schedule.valid_until = THU, MON
    schedule.save()
    generate()
    assert set(slots_by_day(schedule)) == {THU, FRI, MON}


def test_an_inactive_schedule_makes_no_slots(schedule):
    schedule.is_active = False
    schedule.save()
    assert generate()["created"] == 0


@pytest.mark.parametrize("scope", ["office", "holiday"])
def test_no_slots_on_closed_days(schedule, scope):
    Closure.objects.create(
        office=None if scope == "holiday" else schedule.office,
        start_date=THU,
        end_date=FRI,
        reason_zh="端午节",
    )
    generate()
    assert THU not in slots_by_day(schedule) and FRI not in slots_by_day(schedule)
    assert slots_by_day(schedule)[WED] == 6


def test_a_closure_of_another_office_changes_nothing_here(schedule):
    Closure.objects.create(
        office=ScheduleFactory().office, start_date=THU, end_date=THU, reason_zh="装修"
    )
    generate()
    assert slots_by_day(schedule)[THU] == 6


def test_a_closure_added_later_removes_the_unbooked_slots_and_keeps_booked_ones(schedule):
    generate()
    booking = book(slot_at(schedule, THU, 10))
    actions.closure_save(
        closure=Closure(office=schedule.office, start_date=THU, end_date=THU, reason_zh="停电")
    )
    generate()
    assert list(Slot.objects.filter(schedule=schedule, start__date=THU)) == [booking.slot]
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_capacity_changes_apply_but_never_push_bookable_below_booked(schedule):
    generate()
    slot = slot_at(schedule, THU, 10)
    for person in (1, 2, 3):
        book(slot, person)

    schedule.capacity = 2  # 1 bookable after the walk-in share
    schedule.save()
    stats = generate()

    slot.refresh_from_db()
    assert (slot.capacity, slot.bookable, slot.booked) == (3, 3, 3)
    untouched = slot_at(schedule, THU, 11)
    assert (untouched.capacity, untouched.bookable) == (2, 1)
    assert stats["updated"] == 36

    schedule.capacity = 8
    schedule.save()
    generate()
    slot.refresh_from_db()
    assert (slot.capacity, slot.bookable, slot.booked) == (8, 6, 3)


def test_the_walk_in_share_is_kept_back(schedule):
    schedule.capacity, schedule.walkin_percent = 10, 30
    schedule.save()
    generate()
    slot = slot_at(schedule, WED)
    assert (slot.capacity, slot.bookable) == (10, 7)


def test_no_slots_on_statutory_holidays_and_slots_on_make_up_working_days():
    """National Day 2026 from the statutory calendar, with no closure typed by anyone: nothing
    on 1–7 October, Saturday 10 October (调休) worked with the schedule's weekday periods."""
    from appointments.models import MakeUpWorkingDay

    schedule = ScheduleFactory(
        periods=[(0, dt.time(9, 0), dt.time(12, 0)), (5, dt.time(9, 0), dt.time(10, 0))]
    )  # Mondays 09–12 (6 slots) and Saturdays 09–10 (2 slots)
    with time_machine.travel(dt.datetime(2026, 9, 28, 7, 0, tzinfo=SHANGHAI), tick=False):
        actions.slot_generate(days=21)
    days = slots_by_day(schedule)
    # Sat 3 October (a holiday) has none, Sat 10 (make-up) runs Monday's six, Sat 17 its two.
    assert dt.date(2026, 10, 3) not in days and dt.date(2026, 10, 5) not in days
    assert days[dt.date(2026, 10, 10)] == 6
    assert days[dt.date(2026, 10, 17)] == 2
    assert days[dt.date(2026, 10, 12)] == 6
    # A Sunday the administrator declares worked (a year or local day the package lacks).
    MakeUpWorkingDay.objects.create(date=dt.date(2026, 10, 18), reason_zh="调休")
    with time_machine.travel(dt.datetime(2026, 9, 28, 7, 0, tzinfo=SHANGHAI), tick=False):
        actions.slot_generate(days=21)
    assert slots_by_day(schedule)[dt.date(2026, 10, 18)] == 6
