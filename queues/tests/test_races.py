"""Twenty clerks press "call next" at the same instant: nobody gets a ticket twice, none is lost.
Real threads, real transactions, PostgreSQL row locks (SELECT … FOR UPDATE SKIP LOCKED)."""

import threading
from collections import Counter as Tally

import pytest
from django.db import connection, connections

from accounts.tests.factories import UserFactory
from queues import actions
from queues.constants import TicketStatus
from queues.errors import QueueEmpty
from queues.models import Ticket, TicketEvent
from services.tests.factories import CounterFactory

from .queue_setup import new_service, office_with

CLERKS = 20
TICKETS = 50

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises every write, so there is no race to test "
            "(run with DATABASE_URL=postgres://…)"
        )


@pytest.fixture
def hall():
    service = new_service()
    office, _ = office_with(service, counters=0)
    counters, clerks = [], []
    for _ in range(CLERKS):
        clerk = UserFactory()
        counter = CounterFactory(office=office, services=[service])
        actions.counter_open(counter=counter, clerk=clerk)
        counters.append(counter)
        clerks.append(clerk)
    for _ in range(TICKETS):
        actions.ticket_take_walk_in(office=office, service=service)
    return office, list(zip(counters, clerks, strict=True))


def _round(stations) -> tuple[list[int], list[BaseException]]:
    """Every clerk calls next at the same instant, then finishes what they got."""
    barrier = threading.Barrier(len(stations))
    called: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def clerk_work(counter, clerk):
        try:
            barrier.wait(timeout=30)
            try:
                ticket = actions.ticket_call_next(counter=counter, clerk=clerk)
            except QueueEmpty:
                return
            with lock:
                called.append(ticket.pk)
            actions.ticket_finish(ticket=ticket, clerk=clerk)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk_work, args=station) for station in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return called, errors


def test_twenty_clerks_calling_at_once_get_twenty_different_tickets(hall):
    _office, stations = hall
    called, errors = _round(stations)
    assert errors == []
    assert len(called) == CLERKS
    assert len(set(called)) == CLERKS


def test_until_the_queue_is_empty_every_ticket_is_called_exactly_once(hall):
    office, stations = hall
    everyone: list[int] = []
    for _ in range(TICKETS):  # bound: at least one ticket per round while any is left
        called, errors = _round(stations)
        assert errors == []
        if not called:
            break
        everyone += called
    assert len(everyone) == TICKETS
    assert Tally(everyone).most_common(1)[0][1] == 1, "a ticket was called twice"
    tickets = Ticket.objects.filter(office=office)
    assert set(everyone) == set(tickets.values_list("pk", flat=True)), "a ticket was lost"
    assert set(tickets.values_list("status", flat=True)) == {TicketStatus.DONE}
    calls = TicketEvent.objects.filter(office=office, kind="called")
    assert calls.count() == TICKETS
