"""A small office for queue tests: one service per category letter, counters, bookings.

Times are local (Asia/Shanghai) on a fixed Monday; pass `now=` to every action and selector."""

import datetime as dt

from django.utils import timezone

from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from core.tests.factories import id_number
from queues import actions
from services.tests.factories import CounterFactory, OfficeFactory, ServiceFactory

DAY = dt.date(2026, 3, 2)  # a Monday
YOUNG = dt.date(1990, 5, 17)
SENIOR = dt.date(1950, 1, 1)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def office_with(*services, counters: int = 1):
    """An office offering `services`, with `counters` counters that serve them all."""
    office = OfficeFactory(services=list(services))
    made = [CounterFactory(office=office, services=list(services)) for _ in range(counters)]
    return office, made


def booking(
    office, service, start: dt.datetime, *, n: int = 1, born: dt.date = YOUNG, status="booked"
):
    """A booked appointment at `start` for a person `n` born on `born`."""
    schedule = ScheduleFactory(office=office, services=[service])
    slot = SlotFactory(schedule=schedule, start=start, end=start + dt.timedelta(minutes=30))
    return past_booking(
        slot=slot, id_number=id_number(n, born=born), status=status, service=service
    )


def check_in(office, service, start: dt.datetime, arrive: dt.datetime, **kwargs):
    """Book `start`, then check in at `arrive`: the ticket."""
    made = booking(office, service, start, **kwargs)
    return actions.ticket_check_in_booking(office=office, code=made.code, now=arrive)


def walk_in(office, service, arrive: dt.datetime, **kwargs):
    return actions.ticket_take_walk_in(office=office, service=service, now=arrive, **kwargs)


def new_service(**kwargs):
    return ServiceFactory(materials=0, **kwargs)
