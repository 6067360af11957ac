"""The queue rule (selectors.waiting_order): who is called next, as residents would see it."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queues import actions, selectors
from queues.constants import Band, TicketStatus
from queues.models import Ticket
from services.tests.factories import CounterFactory

from .queue_setup import DAY, SENIOR, at, check_in, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db


def order(office, now, **filters) -> list[str]:
    queue = selectors.office_waiting(office, now=now).filter(**filters)
    return [t.display for t in queue]


@pytest.fixture
def hall():
    service = new_service()
    office, counters = office_with(service)
    return office, service, counters[0]


def test_walk_ins_are_called_in_arrival_order(hall):
    office, service, _ = hall
    # Numbered first but arrived later (a clerk entering tickets out of order): arrival wins.
    first = walk_in(office, service, at(9, 5))
    second = walk_in(office, service, at(9, 1))
    third = walk_in(office, service, at(9, 7))
    assert order(office, at(9, 10)) == [second.display, first.display, third.display]


def test_a_resident_of_65_goes_first_from_the_birth_date_on_the_id(hall):
    office, service, _ = hall
    early = walk_in(office, service, at(9, 0))
    senior = check_in(office, service, at(11, 0), at(10, 35), born=SENIOR)  # an early booking
    young = check_in(office, service, at(11, 0), at(10, 36), n=2)
    assert senior.priority and senior.priority_reason == "age"
    assert not young.priority
    assert order(office, at(10, 40)) == [senior.display, early.display, young.display]


def test_a_64_year_old_has_no_priority(hall):
    office, service, _ = hall
    born = dt.date(DAY.year - 65, DAY.month, DAY.day) + dt.timedelta(days=1)
    ticket = check_in(office, service, at(10, 0), at(9, 45), born=born)
    assert not ticket.priority


def test_a_clerk_can_give_priority_and_it_goes_to_the_front(hall):
    office, service, _ = hall
    first = walk_in(office, service, at(9, 0))
    needs_help = walk_in(office, service, at(9, 30))
    actions.ticket_set_priority(ticket=needs_help, clerk=None, now=at(9, 31))
    assert order(office, at(9, 32)) == [needs_help.display, first.display]


def test_priority_among_priority_is_by_arrival(hall):
    office, service, _ = hall
    marked = walk_in(office, service, at(9, 30))
    actions.ticket_set_priority(ticket=marked, clerk=None, now=at(9, 31))
    senior = check_in(office, service, at(10, 0), at(9, 40), born=SENIOR)
    assert order(office, at(9, 45)) == [marked.display, senior.display]


def test_a_booking_due_now_goes_before_walk_ins_who_came_earlier(hall):
    office, service, _ = hall
    walker = walk_in(office, service, at(9, 0))
    booked = check_in(office, service, at(10, 0), at(9, 40))
    assert booked.band == Band.BOOKED
    assert order(office, at(9, 55)) == [booked.display, walker.display]


def test_booked_tickets_that_are_due_go_by_slot_time_not_arrival(hall):
    office, service, _ = hall
    later_slot = check_in(office, service, at(10, 0), at(9, 35), n=1)
    earlier_slot = check_in(office, service, at(9, 30), at(9, 40), n=2)
    assert order(office, at(9, 55)) == [earlier_slot.display, later_slot.display]


def test_a_booking_that_came_early_waits_until_its_slot_is_due(hall):
    office, service, _ = hall
    before = walk_in(office, service, at(9, 50))
    early = check_in(office, service, at(10, 30), at(10, 0))  # 30 minutes early
    after = walk_in(office, service, at(10, 5))
    # 10:10: its slot (10:30) is not due yet: it waits in arrival order among walk-ins.
    assert order(office, at(10, 10)) == [before.display, early.display, after.display]
    # 10:25: due within the lead time, it goes first.
    assert order(office, at(10, 25)) == [early.display, before.display, after.display]


def test_a_late_booking_joins_the_walk_in_order(hall):
    office, service, _ = hall
    walker = walk_in(office, service, at(10, 10))
    late = check_in(office, service, at(10, 0), at(10, 20))  # 20 minutes late, grace is 15
    assert late.band == Band.WALK_IN
    after = walk_in(office, service, at(10, 25))
    assert order(office, at(10, 30)) == [walker.display, late.display, after.display]


def test_a_transferred_ticket_keeps_its_place_in_the_new_queue():
    passport, hukou = new_service(), new_service()
    office, _counters = office_with(passport, hukou)
    passport_counter = CounterFactory(office=office, services=[passport])
    moved = walk_in(office, passport, at(9, 0))
    second = walk_in(office, hukou, at(9, 10))
    third = walk_in(office, hukou, at(9, 20))
    actions.counter_open(counter=passport_counter, clerk=None)
    called = actions.ticket_call_next(counter=passport_counter, clerk=None, now=at(9, 30))
    assert called == moved
    actions.ticket_transfer(ticket=called, clerk=None, to_service=hukou, now=at(9, 35))
    assert order(office, at(9, 36), service=hukou) == [
        moved.display,
        second.display,
        third.display,
    ]


def test_a_ticket_transferred_to_a_counter_is_only_called_there():
    service = new_service()
    office, (first, second) = office_with(service, counters=2)
    ticket = walk_in(office, service, at(9, 0))
    other = walk_in(office, service, at(9, 5))
    actions.counter_open(counter=first, clerk=None)
    actions.ticket_call_next(counter=first, clerk=None, now=at(9, 10))
    actions.ticket_transfer(ticket=ticket, clerk=None, to_counter=second, now=at(9, 12))
    # The first counter's next call is the other ticket, although the transferred one is older.
    assert list(selectors.counter_waiting(first, now=at(9, 13))) == [other]
    assert list(selectors.counter_waiting(second, now=at(9, 13)))[0] == ticket


# --- the property: any set of tickets is put in one total order that obeys the rules ---------

KINDS = st.sampled_from(["walk_in", "booked", "late"])
TICKETS = st.lists(
    st.tuples(
        KINDS,
        st.booleans(),  # priority
        st.integers(0, 180),  # arrival, minutes after 9:00
        st.integers(0, 180),  # slot start, minutes after 9:00
    ),
    min_size=1,
    max_size=14,
)


def _rank(ticket: Ticket, due: dt.datetime) -> int:
    if ticket.priority:
        return 0
    if ticket.band == Band.BOOKED and ticket.slot_start <= due:
        return 1
    return 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=TICKETS, now_minute=st.integers(0, 200))
def test_any_set_of_tickets_is_in_one_order_that_obeys_the_rules(hall, tickets, now_minute):
    office, service, _ = hall
    Ticket.objects.filter(office=office).delete()
    base = at(9, 0)
    for number, (kind, priority, arrive, slot) in enumerate(tickets, start=1):
        Ticket.objects.create(
            office=office,
            service=service,
            day=DAY,
            letter="A",
            number=number,
            slot_start=None if kind == "walk_in" else base + dt.timedelta(minutes=slot),
            band=Band.BOOKED if kind == "booked" else Band.WALK_IN,
            priority=priority,
            arrived_at=base + dt.timedelta(minutes=arrive),
            status=TicketStatus.WAITING,
            follow_token=f"t{number}",
        )
    now = base + dt.timedelta(minutes=now_minute)
    due = now + dt.timedelta(minutes=10)
    queue = list(selectors.office_waiting(office, now=now))

    assert sorted(t.pk for t in queue) == sorted(Ticket.objects.values_list("pk", flat=True))
    assert [t.pk for t in selectors.office_waiting(office, now=now)] == [t.pk for t in queue]
    for before, after in zip(queue, queue[1:], strict=False):
        rank_before, rank_after = _rank(before, due), _rank(after, due)
        assert rank_before <= rank_after, "priority, then due bookings, then the rest"
        if rank_before == rank_after == 1:
            assert (before.slot_start, before.arrived_at) <= (after.slot_start, after.arrived_at)
        elif rank_before == rank_after:
            assert before.arrived_at <= after.arrived_at, "same band: arrival order"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=TICKETS, now_minute=st.integers(0, 200), elsewhere=st.sets(st.integers(0, 13)))
def test_call_next_takes_the_first_of_the_counters_queue(hall, tickets, now_minute, elsewhere):
    """Call-next runs the queue rule from SQL compiled once (core/sql_template.py): it picks
    the first ticket of `counter_waiting`, and the console's count is the queue's length,
    whatever the tickets (some transferred to another counter by name)."""
    office, service, counter = hall
    other = CounterFactory(office=office)
    Ticket.objects.filter(office=office).delete()
    base = at(9, 0)
    for number, (kind, priority, arrive, slot) in enumerate(tickets, start=1):
        Ticket.objects.create(
            office=office,
            service=service,
            day=DAY,
            letter="A",
            number=number,
            slot_start=None if kind == "walk_in" else base + dt.timedelta(minutes=slot),
            band=Band.BOOKED if kind == "booked" else Band.WALK_IN,
            priority=priority,
            arrived_at=base + dt.timedelta(minutes=arrive),
            status=TicketStatus.WAITING,
            target_counter=other if number in elsewhere else None,
            follow_token=f"t{number}",
        )
    now = base + dt.timedelta(minutes=now_minute)
    queue = [t.pk for t in selectors.counter_waiting(counter, now=now)]
    with transaction.atomic():
        first = selectors.counter_next_waiting_id(counter, now=now)
    assert first == (queue[0] if queue else None)
    assert selectors.counter_waiting_count(counter, now=now) == len(queue)
