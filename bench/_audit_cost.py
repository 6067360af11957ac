"""Server-side cost of an audited booking (issue 13): 200 `booking_create` calls in a loop, each
its own transaction with its on-commit work, against the test database pytest-django makes.
(The leading underscore keeps it out of `make bench`: it runs under pytest, not on its own.)

    DATABASE_URL=postgres://…/ow_x CELERY_BROKER_URL=redis://…/N \
        .venv/bin/pytest bench/_audit_cost.py -q -s -p no:logging

Prints the wall time, this process's CPU time and the PostgreSQL backend's CPU time (read from
/proc: the server runs on this machine) per booking. Not a test: it asserts nothing.
"""

import datetime as dt
import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.actions import booking_create
from appointments.tests.factories import SlotFactory
from core.tests.factories import id_number

BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "200"))


def _backend_cpu() -> float:
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.django_db(transaction=True)
def test_audited_booking_cost():
    room = BOOKINGS // 20 + 3  # 20 slots (the factories' categories run out at 26)
    slots = [SlotFactory(capacity=room, bookable=room) for _ in range(20)]
    first = dt.date(1980, 1, 1)
    people = [id_number(n, born=first + dt.timedelta(days=n)) for n in range(BOOKINGS)]
    booking_create(slot_id=slots[0].pk, service=slots[0].schedule.services.first(), name="暖",
                   id_number=id_number(999, born=dt.date(1970, 1, 1)), phone="13800138000")
    wall, cpu, db = time.perf_counter(), time.process_time(), _backend_cpu()
    for n, person in enumerate(people):
        slot = slots[n % len(slots)]
        booking_create(slot_id=slot.pk, service=slot.schedule.services.first(), name="张三",
                       id_number=person, phone="13800138000")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db = _backend_cpu() - db
    # Then the SQL statements of a few more bookings (counted apart: the capture costs CPU).
    counted = 20
    with CaptureQueriesContext(connection) as queries:
        for n in range(counted):
            slot = slots[n % len(slots)]
            booking_create(slot_id=slot.pk, service=slot.schedule.services.first(), name="李四",
                           id_number=id_number(n, born=dt.date(1960, 1, 1)), phone="13800138000")
    print(
        f"\n{connection.vendor}: {BOOKINGS} bookings, per booking:"
        f" wall {wall / BOOKINGS * 1000:.2f} ms, app CPU {cpu / BOOKINGS * 1000:.2f} ms,"
        f" database CPU {db / BOOKINGS * 1000:.2f} ms,"
        f" {len(queries) / counted:.1f} SQL statements"
    )
