"""An office for the pushed-updates tests and bench (queues/tests/test_streams.py,
bench/screens_push.py): a counter open for a clerk signed in past the second factor, a clerk of
another office, and waiting walk-in tickets followed on phones. Made in the test process (on
SQLite the test database is then copied to the server's own file, push_server.sqlite_hall)."""

from django.test import Client
from django.utils import timezone

from accounts.tests.factories import staff, verify_session
from queues import actions
from queues.tests.queue_setup import new_service, office_with


def session_of(user) -> str:
    return verify_session(Client(), user).cookies["sessionid"].value


def push_hall(*, tickets: int = 3) -> dict:
    service = new_service()
    office, [counter] = office_with(service)
    other, _counters = office_with(new_service())
    clerk = staff("clerk", office=office)
    manager = staff("manager", office=office)
    actions.counter_open(counter=counter, clerk=clerk)
    now = timezone.now()
    made = [actions.ticket_take_walk_in(office=office, service=service, now=now)
            for _ in range(tickets)]  # fmt: skip
    return {
        "office_code": office.code,
        "office_id": office.pk,
        "other_office_id": other.pk,
        "counter_id": counter.pk,
        "clerk": session_of(clerk),
        "manager": session_of(manager),
        "stranger": session_of(staff("clerk", office=other)),
        "stranger_manager": session_of(staff("manager", office=other)),
        "tickets": [{"id": t.pk, "display": t.display, "token": t.follow_token} for t in made],
    }

