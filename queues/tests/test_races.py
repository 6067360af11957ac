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


# --- one counter, two presses: the console answers "counter busy", never a 500 ----------------

ROUNDS = 10


def _press_together(clients, url) -> list:
    """Every client posts `url` (htmx) at the same instant; their responses or exceptions."""
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def press(n, client):
        try:
            barrier.wait(timeout=30)
            answers[n] = client.post(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
        except BaseException as exc:  # noqa: BLE001 - an IntegrityError is what the test looks for
            answers[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_call_next_presses_at_one_counter_call_one_ticket_and_say_counter_busy():
    """A double press (two tabs, a bouncing key): one ticket is called, the other press is told
    the counter is busy, in the clerk's language, in every round; never a server error."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    from accounts.tests.factories import staff, verify_session
    from queues.errors import CounterBusy

    service = new_service()
    office, (counter,) = office_with(service)
    clerk = staff("clerk", office=office)
    actions.counter_open(counter=counter, clerk=clerk)
    for _ in range(ROUNDS * 2):
        actions.ticket_take_walk_in(office=office, service=service)
    clients = [verify_session(Client(), clerk) for _ in range(2)]
    with translation.override("en"):
        url = reverse("console:action", args=[counter.pk, "call-next"])
        busy = str(CounterBusy())
    for _ in range(ROUNDS):
        answers = _press_together(clients, url)
        assert all(not isinstance(a, BaseException) for a in answers), answers
        assert [a.status_code for a in answers] == [200, 200]
        told_busy = [busy in a.content.decode() for a in answers]
        assert sorted(told_busy) == [False, True]
        current = Ticket.objects.get(counter=counter, status=TicketStatus.CALLED)
        actions.ticket_finish(ticket=current, clerk=clerk)
    assert Ticket.objects.filter(status=TicketStatus.DONE).count() == ROUNDS
    assert TicketEvent.objects.filter(kind="called").count() == ROUNDS
