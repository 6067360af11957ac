"""Hand-built visits for the statistics: bookings and tickets written directly with the exact
times a test needs (the queue rules themselves are tested in queues/)."""

import datetime as dt
import itertools
import secrets

from django.utils import timezone

from appointments.tests.factories import ScheduleFactory, SlotFactory, past_booking
from core.tests.factories import id_number
from queues.models import Ticket
from services.tests.factories import CounterFactory, OfficeFactory, ServiceFactory

DAY = dt.date(2026, 3, 2)  # a Monday
_people = itertools.count(1)
_numbers = itertools.count(1)


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))


def small_office(counters: int = 2, **office_fields):
    service = ServiceFactory(materials=0)
    office = OfficeFactory(services=[service], **office_fields)
    made = [CounterFactory(office=office, services=[service]) for _ in range(counters)]
    return office, service, made


def booking_for(office, service, start: dt.datetime, status: str):
    schedule = ScheduleFactory(office=office, services=[service])
    slot = SlotFactory(schedule=schedule, start=start, end=start + dt.timedelta(minutes=30))
    return past_booking(
        slot=slot, id_number=id_number(next(_people)), status=status, service=service,
        code=f"T{next(_numbers):07d}", name="居民甲乙",
    )  # fmt: skip


def visit(office, service, *, arrived, called=None, finished=None, counter=None, booking=None,
          status="done") -> Ticket:  # fmt: skip
    return Ticket.objects.create(
        office=office, service=service, day=timezone.localtime(arrived).date(), letter="A",
        number=next(_numbers), booking=booking, slot_start=booking.start if booking else None,
        band=1 if booking else 2, status=status, outcome="done" if status == "done" else "",
        counter=counter, arrived_at=arrived, called_at=called, started_at=called,
        finished_at=finished, follow_token=secrets.token_urlsafe(16),
    )  # fmt: skip


def hand_built_day(office, service, counters, day: dt.date = DAY) -> dict:
    """Five bookings (three served, one no-show, one cancelled) and three walk-ins (two served,
    one never called). Waits 15, 22, 3, 8, 10 minutes; service times 10, 6, 20, 4, 5."""
    c1, c2 = counters

    def t(h, m, s=0):
        return at(h, m, s, day=day)

    b1 = booking_for(office, service, t(10, 0), "completed")
    visit(office, service, booking=b1, arrived=t(9, 50), called=t(10, 5), finished=t(10, 15),
          counter=c1)  # fmt: skip
    b2 = booking_for(office, service, t(10, 0), "completed")
    visit(office, service, booking=b2, arrived=t(9, 58), called=t(10, 20), finished=t(10, 26),
          counter=c1)  # fmt: skip
    booking_for(office, service, t(10, 30), "no_show")
    booking_for(office, service, t(10, 30), "cancelled")
    b5 = booking_for(office, service, t(11, 0), "completed")
    visit(office, service, booking=b5, arrived=t(11, 2), called=t(11, 5), finished=t(11, 25),
          counter=c2)  # fmt: skip
    visit(office, service, arrived=t(9, 0), called=t(9, 8), finished=t(9, 12), counter=c2)
    visit(office, service, arrived=t(9, 30), called=t(9, 40, 30), finished=t(9, 45, 30),
          counter=c1)  # fmt: skip
    visit(office, service, arrived=t(11, 0), status="no_show")
    return {"waits": [15, 22, 3, 8, 10], "service_times": [10, 6, 20, 4, 5],
            "waits_c1": [15, 22, 10], "waits_c2": [3, 8]}  # fmt: skip
