"""Writes to the queue: numbering, check-in window, calls, service, no-shows, SMS."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from accounts.models import AuditAction, AuditEntry
from appointments.actions import booking_mark_no_shows
from appointments.constants import BookingStatus
from appointments.selectors import person_restricted_until
from core.errors import IllegalTransition
from notifications.models import Message
from queues import actions, selectors, tasks
from queues.constants import Band, EventKind, Outcome, TicketStatus
from queues.errors import (
    CounterBusy,
    CounterPaused,
    NotCheckable,
    QueueEmpty,
    TooEarly,
    TooLate,
    UnknownBooking,
    WrongDay,
    WrongOffice,
)
from queues.models import Ticket, TicketEvent
from services.tests.factories import CategoryFactory

from .queue_setup import DAY, at, booking, check_in, new_service, office_with, walk_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    service = new_service()
    office, counters = office_with(service, counters=2)
    for counter in counters:
        actions.counter_open(counter=counter, clerk=None)
    return office, service, counters


# --- numbering ------


def test_tickets_are_numbered_per_office_day_and_category_letter():
    household = new_service(category=CategoryFactory(ticket_letter="H"))
    traffic = new_service(category=CategoryFactory(ticket_letter="T"))
    office, _ = office_with(household, traffic)
    other_office, _ = office_with(household)
    shown = [
        walk_in(office, household, at(9, 0)).display,
        walk_in(office, household, at(9, 1)).display,
        walk_in(office, traffic, at(9, 2)).display,
        walk_in(office, household, at(9, 3)).display,
        walk_in(other_office, household, at(9, 4)).display,
        walk_in(office, household, at(9, 0, day=DAY + dt.timedelta(days=1))).display,
    ]
    assert shown == ["H001", "H002", "T001", "H003", "H001", "H001"]


def test_a_booking_gets_the_letter_of_its_service_category():
    service = new_service(category=CategoryFactory(ticket_letter="X"))
    office, _ = office_with(service)
    assert check_in(office, service, at(10, 0), at(9, 45)).display == "X001"


# --- check-in window ------


def test_check_in_opens_30_minutes_before_the_slot_and_says_when(hall):
    office, service, _ = hall
    made = booking(office, service, at(10, 0))
    with pytest.raises(TooEarly) as refused:
        actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 29))
    assert "09:30" in str(refused.value)
    ticket = actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 30))
    assert ticket.band == Band.BOOKED
    made.refresh_from_db()
    assert made.status == BookingStatus.CHECKED_IN


def test_within_15_minutes_of_grace_a_booking_keeps_its_booked_place(hall):
    office, service, _ = hall
    assert check_in(office, service, at(10, 0), at(10, 15)).band == Band.BOOKED
    assert check_in(office, service, at(10, 0), at(10, 16), n=2).band == Band.WALK_IN


def test_much_too_late_the_kiosk_offers_a_walk_in_ticket(hall):
    office, service, _ = hall
    made = booking(office, service, at(9, 0))
    with pytest.raises(TooLate) as refused:
        actions.ticket_check_in_booking(office=office, code=made.code, now=at(11, 30))
    with translation.override("en"):
        assert "walk-in" in str(refused.value)


def test_a_booking_for_another_day_or_office_is_refused_with_the_reason(hall):
    office, service, _ = hall
    tomorrow = booking(office, service, at(10, 0, day=DAY + dt.timedelta(days=1)))
    with pytest.raises(WrongDay) as refused:
        actions.ticket_check_in_booking(office=office, code=tomorrow.code, now=at(9, 45))
    assert str(DAY + dt.timedelta(days=1)) in str(refused.value)
    elsewhere, _ = office_with(service)
    there = booking(elsewhere, service, at(10, 0), n=2)
    with pytest.raises(WrongOffice) as refused:
        actions.ticket_check_in_booking(office=office, code=there.code, now=at(9, 45))
    assert elsewhere.name in str(refused.value)


def test_unknown_or_cancelled_bookings_cannot_check_in(hall):
    office, service, _ = hall
    with pytest.raises(UnknownBooking):
        actions.ticket_check_in_booking(office=office, code="NOSUCHCODE", now=at(9, 45))
    cancelled = booking(office, service, at(10, 0), status="cancelled")
    with pytest.raises(NotCheckable):
        actions.ticket_check_in_booking(office=office, code=cancelled.code, now=at(9, 45))


def test_scanning_the_same_booking_twice_shows_the_same_ticket(hall):
    office, service, _ = hall
    made = booking(office, service, at(10, 0))
    first = actions.ticket_check_in_booking(office=office, code=made.code, now=at(9, 40))
    again = actions.ticket_check_in_booking(
        office=office, code=f" {made.code.lower()} ", now=at(9, 41)
    )
    assert again == first
    assert selectors.office_waiting(office, now=at(9, 42)).count() == 1


# --- calls ------


def test_a_ticket_called_three_times_without_an_answer_becomes_missed(hall):
    office, service, (counter, _) = hall
    walk_in(office, service, at(9, 0))
    later = walk_in(office, service, at(9, 1))
    ticket = actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 5))
    ticket = actions.ticket_recall(ticket=ticket, clerk=None, now=at(9, 6))
    ticket = actions.ticket_recall(ticket=ticket, clerk=None, now=at(9, 7))
    assert (ticket.status, ticket.call_count) == (TicketStatus.CALLED, 3)
    ticket = actions.ticket_recall(ticket=ticket, clerk=None, now=at(9, 8))
    assert ticket.status == TicketStatus.MISSED
    # The counter is free again: the next resident is called.
    assert actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 9)) == later


def test_finishing_a_booked_ticket_completes_the_booking(hall):
    office, service, (counter, _) = hall
    ticket = check_in(office, service, at(10, 0), at(9, 45))
    called = actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 55))
    assert called == ticket
    actions.ticket_start(ticket=called, clerk=None, now=at(9, 56))
    done = actions.ticket_finish(
        ticket=called, clerk=None, outcome=Outcome.ANOTHER_VISIT, now=at(10, 5)
    )
    assert (done.status, done.outcome) == (TicketStatus.DONE, Outcome.ANOTHER_VISIT)
    done.booking.refresh_from_db()
    assert done.booking.status == BookingStatus.COMPLETED


def test_no_show_frees_the_counter(hall):
    office, service, (counter, _) = hall
    walk_in(office, service, at(9, 0))
    nxt = walk_in(office, service, at(9, 1))
    ticket = actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 5))
    gone = actions.ticket_no_show(ticket=ticket, clerk=None, now=at(9, 8))
    assert gone.status == TicketStatus.NO_SHOW
    assert actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 9)) == nxt


def test_a_parked_resident_comes_back_at_their_original_place(hall):
    office, service, (counter, _) = hall
    first = walk_in(office, service, at(9, 0))
    second = walk_in(office, service, at(9, 1))
    third = walk_in(office, service, at(9, 2))
    called = actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 5))
    parked = actions.ticket_park(ticket=called, clerk=None, now=at(9, 6))
    assert parked.status == TicketStatus.PARKED
    assert actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 7)) == second
    actions.ticket_unpark(ticket=parked, clerk=None, now=at(9, 8))
    assert list(selectors.office_waiting(office, now=at(9, 9))) == [first, third]


def test_a_busy_counter_must_finish_first_and_a_paused_one_cannot_call(hall):
    office, service, (counter, other) = hall
    walk_in(office, service, at(9, 0))
    walk_in(office, service, at(9, 1))
    actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 5))
    with pytest.raises(CounterBusy):
        actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 6))
    actions.counter_pause(counter=other, clerk=None, paused=True)
    with pytest.raises(CounterPaused):
        actions.ticket_call_next(counter=other, clerk=None, now=at(9, 6))
    actions.counter_pause(counter=other, clerk=None, paused=False)
    called = actions.ticket_call_next(counter=other, clerk=None, now=at(9, 7))
    with pytest.raises(CounterBusy):  # it would strand the called ticket
        actions.counter_close(counter=other, clerk=None, now=at(9, 8))
    actions.ticket_finish(ticket=called, clerk=None, now=at(9, 9))
    actions.counter_close(counter=other, clerk=None, now=at(9, 10))


def test_an_empty_queue_says_nobody_is_waiting(hall):
    _office, _service, (counter, _) = hall
    with pytest.raises(QueueEmpty) as refused:
        actions.ticket_call_next(counter=counter, clerk=None, now=at(9, 0))
    with translation.override("en"):
        assert "Nobody" in str(refused.value)


def test_a_clerk_can_call_a_specific_ticket_out_of_order(hall):
    office, service, (counter, _) = hall
    walk_in(office, service, at(9, 0))
    wanted = walk_in(office, service, at(9, 5))
    called = actions.ticket_call_next(
        counter=counter, clerk=None, now=at(9, 6), ticket_id=wanted.pk
    )
    assert called == wanted


def test_a_waiting_ticket_cannot_be_finished(hall):
    office, service, _ = hall
    ticket = walk_in(office, service, at(9, 0))
    with pytest.raises(IllegalTransition):
        actions.ticket_finish(ticket=ticket, clerk=None, now=at(9, 1))


def test_a_no_show_at_the_counter_makes_the_booking_a_no_show_that_counts(
    hall, django_capture_on_commit_callbacks
):
    """Checked in, called, never came (N then M): the booking is a no-show, so the dashboard
    counts it and three of them pause the resident's booking like three missed bookings."""
    from reports.actions import figures_rebuild
    from reports.models import DailyFigure, Level

    office, service, (counter, _) = hall
    tickets = []
    for week in range(3):
        day = DAY + dt.timedelta(weeks=week)
        ticket = check_in(office, service, at(10, 0, day), at(9, 50, day), n=9)
        called = actions.ticket_call_next(counter=counter, clerk=None, now=at(10, 0, day))
        assert called == ticket
        with django_capture_on_commit_callbacks(execute=True):
            actions.ticket_no_show(ticket=ticket, clerk=None, now=at(10, 5, day))
        ticket.booking.refresh_from_db()
        assert ticket.booking.status == BookingStatus.NO_SHOW
        tickets.append(ticket)
    after = at(18, 0, day=DAY + dt.timedelta(weeks=2))
    assert person_restricted_until(id_hmac=tickets[0].booking.id_number_hmac, now=after)
    figures_rebuild(first=DAY, last=DAY, office_ids=[office.pk])
    row = DailyFigure.objects.get(level=Level.OFFICE_DAY, office=office, day=DAY)
    assert row.no_shows == 1


# --- end of day: bookings never checked in ------


def test_the_end_of_day_task_makes_no_shows_that_pause_booking(
    hall, django_capture_on_commit_callbacks
):
    office, service, _ = hall
    kept = check_in(office, service, at(10, 0), at(9, 45), n=7)
    missed = []
    for week in range(3):
        day = DAY + dt.timedelta(weeks=week)
        missed.append(booking(office, service, at(11, 0, day=day), n=8))
        with django_capture_on_commit_callbacks(execute=True):  # the audit trail, after commit
            assert booking_mark_no_shows(day=day) == 1
    kept.booking.refresh_from_db()
    assert kept.booking.status == BookingStatus.CHECKED_IN
    assert {b.status for b in type(missed[0]).objects.filter(pk__in=[b.pk for b in missed])} == {
        BookingStatus.NO_SHOW
    }
    after = at(18, 0, day=DAY + dt.timedelta(weeks=2))
    assert person_restricted_until(id_hmac=missed[0].id_number_hmac, now=after) is not None
    # Each no-show is in the audit trail, under the resident's keyed ID digest.
    entries = AuditEntry.objects.filter(
        action=AuditAction.STATUS_CHANGE, object_type="appointments.booking"
    )
    no_shows = [e for e in entries if e.details["changes"]["status"][1] == BookingStatus.NO_SHOW]
    assert sorted(int(e.object_id) for e in no_shows) == sorted(b.pk for b in missed)
    assert {e.subject_hmac for e in no_shows} == {missed[0].id_number_hmac}


# --- end of day: tickets still open ------


def test_after_midnight_the_days_open_tickets_close_as_not_finished_and_say_so(hall):
    """The clerks went home with a resident still called, one being served, one waiting and one
    stepped away: after midnight each is closed as not finished, with an event and an audit
    entry. The resident is not blamed: a booking stays checked in, not a no-show."""
    office, service, (counter, other) = hall
    called = walk_in(office, service, at(16, 0))
    serving = check_in(office, service, at(16, 0), at(15, 50))
    waiting = walk_in(office, service, at(16, 2))
    parked = walk_in(office, service, at(16, 3))
    done = walk_in(office, service, at(15, 0))
    actions.ticket_call_next(counter=counter, clerk=None, now=at(16, 1), ticket_id=done.pk)
    actions.ticket_finish(ticket=done, clerk=None, now=at(16, 2))
    actions.ticket_call_next(counter=counter, clerk=None, now=at(16, 5), ticket_id=called.pk)
    actions.ticket_call_next(counter=other, clerk=None, now=at(16, 5), ticket_id=serving.pk)
    actions.ticket_start(ticket=serving, clerk=None, now=at(16, 6))
    actions.ticket_park(ticket=parked, clerk=None, now=at(16, 7))

    assert actions.ticket_close_before(day=DAY) == 0  # the day itself is left alone
    next_day = DAY + dt.timedelta(days=1)
    tomorrows = walk_in(office, service, at(8, 55, day=next_day))
    with time_machine.travel(at(0, 5, day=next_day), tick=False):
        assert tasks.tickets_close_unfinished() == 4
        assert tasks.tickets_close_unfinished() == 0  # idempotent

    statuses = dict(Ticket.objects.values_list("pk", "status"))
    unfinished = {called.pk, serving.pk, waiting.pk, parked.pk}
    assert {statuses[pk] for pk in unfinished} == {TicketStatus.UNFINISHED}
    assert (statuses[done.pk], statuses[tomorrows.pk]) == (TicketStatus.DONE, TicketStatus.WAITING)
    closed = TicketEvent.objects.filter(kind=EventKind.CLOSED)
    assert set(closed.values_list("ticket_id", flat=True)) == unfinished
    entries = AuditEntry.objects.filter(object_type="queues.ticket", details__event="closed")
    assert {int(e.object_id) for e in entries} == unfinished
    serving.booking.refresh_from_db()
    assert serving.booking.status == BookingStatus.CHECKED_IN
    with translation.override("zh-hans"):  # what the resident's ticket page says
        assert str(TicketStatus.UNFINISHED.label) == "未办结（当日结束时关闭）"


# --- SMS when close to the front ------


def test_a_resident_near_the_front_gets_one_sms(hall, django_capture_on_commit_callbacks):
    office, service, (counter, other) = hall
    with time_machine.travel(at(9, 0), tick=False):
        for minute in range(6):
            walk_in(office, service, at(9, minute), phone=f"1390000000{minute}")
    with time_machine.travel(at(9, 10), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            actions.ticket_call_next(counter=counter, clerk=None)
        texts = list(Message.objects.filter(kind="queue_near").values_list("recipient", flat=True))
        # 3 places or fewer before them: the next four residents (0, 1, 2 and 3 ahead).
        assert sorted(texts) == [f"1390000000{m}" for m in range(1, 5)]
        with django_capture_on_commit_callbacks(execute=True):
            actions.ticket_call_next(counter=other, clerk=None)
    recipients = list(Message.objects.filter(kind="queue_near").values_list("recipient", flat=True))
    assert sorted(recipients) == [f"1390000000{m}" for m in range(1, 6)]  # nobody twice


def test_the_near_front_sms_counts_every_ticket_the_counters_call_first(
    django_capture_on_commit_callbacks,
):
    """The counter serves A and B: a resident of A with five B tickets before them is not
    'near the front', although nobody of A is."""
    service_a = new_service(category=CategoryFactory(ticket_letter="A"))
    service_b = new_service(category=CategoryFactory(ticket_letter="B"))
    office, (counter,) = office_with(service_a, service_b)
    actions.counter_open(counter=counter, clerk=None)
    walk_in(office, service_a, at(9, 0), phone="13900000001")
    for minute in range(1, 6):
        walk_in(office, service_b, at(9, minute))
    walk_in(office, service_a, at(9, 6), phone="13900000002")
    with (
        time_machine.travel(at(9, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert actions.ticket_call_next(counter=counter, clerk=None).service == service_a
    assert not Message.objects.filter(kind="queue_near").exists()
