"""Tickets: check-in of a booking, walk-in tickets, calls, service, no-shows, transfers, parking
and priority."""

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from appointments import actions as booking_actions
from appointments.constants import BookingStatus
from appointments.models import Booking
from core.errors import IllegalTransition
from core.idnumbers import id_birth_date
from core.metrics import CALL_NEXT_SECONDS, timed
from core.models import OutboxMessage
from core.outbox import outbox_row_new, outbox_row_written
from queues import selectors, streams
from queues.actions._common import _counter_state, _event, _move, _rules
from queues.constants import (
    MAX_CALLS,
    Band,
    EventKind,
    Outcome,
    TicketStatus,
)
from queues.errors import (
    CounterBusy,
    CounterPaused,
    CounterTaken,
    NotCheckable,
    QueueEmpty,
    ServiceNotOffered,
    TooEarly,
    TooLate,
    UnknownBooking,
    WrongDay,
    WrongOffice,
)
from queues.models import Ticket, TicketSequence
from queues.selectors.console import (
    CounterClaim,
    counter_held_by_another,
    counter_lock_claimed,
    counter_state,
    ticket_lock_at_claimed_counter,
)
from services.models import Counter, Office, Service


def _next_number(office: Office, day: dt.date, letter: str) -> int:
    TicketSequence.objects.get_or_create(office=office, day=day, letter=letter)
    TicketSequence.objects.filter(office=office, day=day, letter=letter).update(last=F("last") + 1)
    return TicketSequence.objects.get(office=office, day=day, letter=letter).last


def _is_senior(id_number: str, today: dt.date) -> bool:
    born = id_birth_date(id_number)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age >= _rules()["PRIORITY_AGE"]


def _new_ticket(
    *,
    office: Office,
    service: Service,
    now: dt.datetime,
    band: Band,
    booking: Booking | None = None,
    phone: str = "",
    priority: str = "",
    bundle_id: int | None = None,
) -> Ticket:
    """`priority` is its reason: "age" (65 or over by the ID number), "claimed" (at the kiosk,
    for the clerk to confirm), "" for none."""
    day = timezone.localdate(now)
    letter = service.category.ticket_letter
    ticket = Ticket.objects.create(
        office=office,
        service=service,
        bundle_id=bundle_id,
        day=day,
        letter=letter,
        number=_next_number(office, day, letter),
        booking=booking,
        slot_start=booking.start if booking else None,
        band=band,
        priority=bool(priority),
        priority_reason=priority,
        arrived_at=now,
        phone=phone,
        follow_token=secrets.token_urlsafe(24),
    )
    _event(ticket, EventKind.CHECKED_IN, now=now)
    return ticket


def _check_booking_window(booking: Booking, office: Office, now: dt.datetime) -> Band:
    """The ticket's band, or why this booking cannot check in now."""
    if booking.office_id != office.pk:
        raise WrongOffice(office=booking.office.name)
    if booking.status != BookingStatus.BOOKED:
        raise NotCheckable()
    local_start = timezone.localtime(booking.start)
    if local_start.date() != timezone.localdate(now):
        raise WrongDay(day=local_start.strftime("%Y-%m-%d"))
    opens = booking.start - dt.timedelta(minutes=_rules()["CHECK_IN_BEFORE_MINUTES"])
    if now < opens:
        raise TooEarly(when=timezone.localtime(opens).strftime("%H:%M"))
    grace_end = booking.start + dt.timedelta(minutes=_rules()["CHECK_IN_GRACE_MINUTES"])
    # Late: still served, but in walk-in order.
    return Band.BOOKED if now <= grace_end else Band.WALK_IN


@transaction.atomic
def ticket_check_in_booking(*, office: Office, code: str, now: dt.datetime | None = None) -> Ticket:
    """A booking becomes a ticket (kiosk QR/code, or a clerk checking a resident in)."""
    from core.crypto import decrypt_text

    now = now or timezone.now()
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("office", "service__category")
        .filter(code=code)
        .first()
    )
    if booking is None:
        raise UnknownBooking()
    existing = Ticket.objects.filter(booking=booking).first()
    if existing is not None:
        if existing.office_id != office.pk:
            raise WrongOffice(office=booking.office.name)
        return existing  # a second scan shows the same ticket
    band = _check_booking_window(booking, office, now)
    if band == Band.WALK_IN and now > booking.start + dt.timedelta(hours=2):
        raise TooLate()
    senior = _is_senior(decrypt_text(booking.id_number_enc), timezone.localdate(now))
    booking_actions.booking_check_in(booking=booking)
    return _new_ticket(
        office=office,
        service=booking.service,
        now=now,
        band=band,
        booking=booking,
        phone=booking.phone,
        priority="age" if senior else "",
        bundle_id=booking.bundle_id,  # a 一件事 visit: one ticket for every part
    )


@transaction.atomic
def ticket_take_walk_in(
    *,
    office: Office,
    service: Service,
    phone: str = "",
    now: dt.datetime | None = None,
    id_number: str = "",
    claims_priority: bool = False,
    in_hours_only: bool = False,
) -> Ticket:
    """A walk-in ticket. `id_number` (optional, already validated) gives priority from 65 on;
    it is read for the birth date only and never stored. `claims_priority` ("65 or older / I
    need assistance") gives priority for the clerk to confirm at the counter. The kiosk passes
    `in_hours_only`: no ticket outside the opening hours or after the walk-in cut-off."""
    now = now or timezone.now()
    if in_hours_only and (refusal := selectors.walk_in_refusal(office, now=now)) is not None:
        raise refusal
    if not office.services.filter(pk=service.pk, is_active=True).exists():
        raise ServiceNotOffered()
    priority = ""
    if id_number and _is_senior(id_number, timezone.localdate(now)):
        priority = "age"
    elif claims_priority:
        priority = "claimed"
    return _new_ticket(
        office=office, service=service, now=now, band=Band.WALK_IN, phone=phone, priority=priority
    )


def _lock_next(counter: Counter, now: dt.datetime, ticket_id: int | None) -> Ticket:
    if ticket_id is None:
        # The first in the queue, locked and read from SQL compiled once (the queue order
        # built and compiled on every press was a third of call-next's CPU).
        found = selectors.counter_next_waiting(counter, now=now)  # locked, read with it
        if found is None:  # nobody waiting, or a busy counter: a fresh read says which
            busy = selectors.counter_is_busy(counter, day=timezone.localdate(now))
            raise CounterBusy() if busy else QueueEmpty()
        return found
    candidates = selectors.counter_waiting(counter, now=now).filter(pk=ticket_id)
    # With its service and booking: the console shows them at once (no query per relation).
    locked = candidates.select_for_update(skip_locked=True, of=("self",))
    ticket = locked.select_related("service", "booking").first()
    if ticket is None:
        raise QueueEmpty()
    return ticket


@timed(CALL_NEXT_SECONDS)  # with the commit (core/metrics.py)
@transaction.atomic
def ticket_call_next(
    *,
    counter: Counter | CounterClaim,
    clerk: User,
    now: dt.datetime | None = None,
    ticket_id: int | None = None,
) -> Ticket:
    """Call the first waiting ticket for this counter (or a specific one by id). A CounterClaim
    (the console's counter, not read yet) is read in the statement that takes the counter's
    lock: Counter.DoesNotExist out of the clerk's reach, CounterTaken if another clerk has it
    open (nothing is changed either way); the ticket's `counter` is the counter read."""
    now = now or timezone.now()
    # The counter's row lock serialises two presses at the same counter: the second one waits,
    # then finds the first one's ticket at the counter ("counter busy"), instead of calling a
    # second ticket that the one-active-ticket constraint would refuse with an IntegrityError.
    if isinstance(counter, CounterClaim):
        counter = counter_lock_claimed(counter)
        if counter_held_by_another(counter, clerk.pk):
            raise CounterTaken(counter)
        state = counter_state(counter)
        paused = None if state is None else state.is_paused
    else:
        paused = selectors.counter_lock_paused(counter)
    if paused is None:
        paused = _counter_state(counter, lock=True).is_paused
    if paused:
        raise CounterPaused()
    # After the lock, the next statement sees the other press's ticket: counter_next_waiting_id
    # finds nobody for a busy counter (then _lock_next says "counter busy"); a ticket called by
    # its id is checked here. Today's only: one left open yesterday does not block the counter
    # (the day-end job closes it, ticket_close_before).
    if ticket_id is not None and selectors.counter_is_busy(counter, day=timezone.localdate(now)):
        raise CounterBusy()
    ticket = _lock_next(counter, now, ticket_id)
    _move(ticket, TicketStatus.CALLED)
    ticket.counter, ticket.clerk, ticket.called_at = counter, clerk, now
    ticket.call_count, ticket.target_counter = 1, None
    # The ticket, its event and entry, and the near-front SMS's outbox row: one statement.
    near_front = _near_front_row(ticket)
    saved = ["status", "counter", "clerk", "called_at", "call_count", "target_counter"]
    also = [(near_front, "key")]
    if _event(ticket, EventKind.CALLED, counter=counter, actor=clerk, now=now, saved=saved,
              also=also)[0]:  # fmt: skip
        outbox_row_written(near_front)
    return ticket


def _locked(
    ticket: Ticket, at_counter: Counter | CounterClaim | None = None, clerk: User | None = None
) -> Ticket:
    """The ticket read again under its row lock. With `at_counter` (the console: only the id
    was posted, nothing read yet), Ticket.DoesNotExist unless it is today's ticket at that
    counter: the transaction rolls back, nothing was changed. A CounterClaim (the console's
    counter, not read yet) is read with the ticket, in the statement that locks it, and set
    on `ticket.counter`; CounterTaken if another clerk has it open (nothing changed either)."""
    if isinstance(at_counter, CounterClaim):
        locked, counter = ticket_lock_at_claimed_counter(ticket.pk, at_counter)
        if counter_held_by_another(counter, clerk.pk if clerk is not None else None):
            raise CounterTaken(counter)
        return locked
    locked = selectors.ticket_get_with_service(ticket.pk, lock=True)
    if at_counter is not None and (
        locked.counter_id != at_counter.pk or locked.day != timezone.localdate()
    ):
        raise Ticket.DoesNotExist
    return locked


def _change(
    ticket: Ticket,
    target: str,
    kind: str,
    *,
    clerk: User,
    now: dt.datetime,
    at_counter: bool = True,
    here: Counter | CounterClaim | None = None,
    **fields: Any,
) -> Ticket:
    """Lock (the ticket must be at `here`, if given: see _locked), check the transition, set
    `fields`, save them and record the event (at the ticket's counter as it was before, when
    `at_counter`)."""
    ticket = _locked(ticket, here, clerk)
    where = ticket.counter_id if at_counter else None
    _move(ticket, target)
    for name, value in fields.items():
        setattr(ticket, name, value)
    _event(ticket, kind, counter=where, actor=clerk, now=now, saved=["status", *fields])
    return ticket


@transaction.atomic
def ticket_recall(
    *,
    ticket: Ticket,
    clerk: User,
    now: dt.datetime | None = None,
    at_counter: Counter | CounterClaim | None = None,
) -> Ticket:
    """Call again. The third call without an answer makes the ticket missed. `at_counter`:
    see _locked."""
    now = now or timezone.now()
    ticket = _locked(ticket, at_counter, clerk)
    if ticket.status != TicketStatus.CALLED:
        raise IllegalTransition()
    if ticket.call_count >= MAX_CALLS:
        _move(ticket, TicketStatus.MISSED)
        ticket.save()
        _event(ticket, EventKind.MISSED, counter=ticket.counter_id, actor=clerk, now=now)
        return ticket
    ticket.call_count += 1
    ticket.called_at = now
    _event(ticket, EventKind.RECALLED, counter=ticket.counter_id, actor=clerk, now=now,
           saved=["call_count", "called_at"])  # fmt: skip
    return ticket


@transaction.atomic
def ticket_start(
    *,
    ticket: Ticket,
    clerk: User,
    now: dt.datetime | None = None,
    at_counter: Counter | CounterClaim | None = None,
) -> Ticket:
    """`at_counter`: see _locked."""
    now = now or timezone.now()
    return _change(
        ticket, TicketStatus.SERVING, EventKind.STARTED, clerk=clerk, now=now, here=at_counter,
        started_at=now,
    )  # fmt: skip


@transaction.atomic
def ticket_finish(
    *,
    ticket: Ticket,
    clerk: User,
    outcome: str = Outcome.DONE,
    now: dt.datetime | None = None,
    at_counter: Counter | CounterClaim | None = None,
) -> Ticket:
    """Finish with an outcome; a booked ticket completes its booking. `at_counter`: see
    _locked."""
    now = now or timezone.now()
    ticket = _locked(ticket, at_counter, clerk)
    if ticket.status == TicketStatus.CALLED:
        ticket.status = TicketStatus.SERVING  # finishing straight from a call is common
        ticket.started_at = ticket.started_at or now
    _move(ticket, TicketStatus.DONE)
    ticket.outcome = Outcome(outcome)
    ticket.finished_at = now
    _event(ticket, EventKind.FINISHED, counter=ticket.counter_id, actor=clerk, now=now,
           saved=["status", "started_at", "outcome", "finished_at"])  # fmt: skip
    if ticket.booking is not None:
        booking_actions.booking_complete(booking=ticket.booking)
    return ticket


@transaction.atomic
def ticket_no_show(
    *,
    ticket: Ticket,
    clerk: User,
    now: dt.datetime | None = None,
    at_counter: Counter | CounterClaim | None = None,
) -> Ticket:
    """The resident did not come; a booked ticket makes its booking a no-show (statistics and
    the rule on repeated no-shows count it). `at_counter`: see _locked."""
    now = now or timezone.now()
    ticket = _change(
        ticket, TicketStatus.NO_SHOW, EventKind.NO_SHOW, clerk=clerk, now=now, here=at_counter,
        finished_at=now,
    )  # fmt: skip
    if ticket.booking is not None:
        booking_actions.booking_no_show(booking=ticket.booking)
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    clerk: User,
    to_counter: Counter | None = None,
    to_service: Service | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Back to waiting for another counter or service; it keeps its place (arrival time)."""
    now = now or timezone.now()
    ticket = _locked(ticket)
    _move(ticket, TicketStatus.WAITING)
    if to_service is not None:
        if not ticket.office.services.filter(pk=to_service.pk).exists():
            raise ServiceNotOffered()
        ticket.service = to_service
    ticket.target_counter = to_counter
    ticket.counter, ticket.call_count = None, 0
    ticket.save()
    _event(ticket, EventKind.TRANSFERRED, counter=to_counter, actor=clerk, now=now)
    return ticket


@transaction.atomic
def ticket_park(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    now = now or timezone.now()
    return _change(
        ticket,
        TicketStatus.PARKED,
        EventKind.PARKED,
        clerk=clerk,
        now=now,
        at_counter=False,
        counter=None,
    )


@transaction.atomic
def ticket_unpark(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    """Back in the queue at its original place (a missed ticket can come back too)."""
    now = now or timezone.now()
    return _change(
        ticket,
        TicketStatus.WAITING,
        EventKind.UNPARKED,
        clerk=clerk,
        now=now,
        at_counter=False,
        counter=None,
        call_count=0,
    )


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    ticket = _locked(ticket)
    ticket.priority, ticket.priority_reason = True, "clerk"
    ticket.save(update_fields=["priority", "priority_reason"])
    _event(ticket, EventKind.PRIORITY, actor=clerk, now=now or timezone.now())
    return ticket


@transaction.atomic
def ticket_priority_check(
    *, ticket: Ticket, clerk: User, confirmed: bool, now: dt.datetime | None = None
) -> Ticket:
    """The clerk checks a priority claimed at the kiosk: confirmed, or withdrawn (the ticket
    keeps its arrival time and goes on in walk-in order)."""
    ticket = _locked(ticket)
    if ticket.priority_reason != "claimed":
        raise IllegalTransition()
    ticket.priority = confirmed
    ticket.priority_reason = "confirmed" if confirmed else "withdrawn"
    ticket.save(update_fields=["priority", "priority_reason"])
    if confirmed:
        _event(ticket, EventKind.PRIORITY, actor=clerk, now=now or timezone.now())
    else:  # its place in the order changed all the same
        audit_record(actor=clerk, action=AuditAction.CHANGE, obj=ticket,
                     details={"event": "priority_withdrawn", "status": ticket.status})  # fmt: skip
        streams.queue_changed(office_id=ticket.office_id, ticket_id=ticket.pk, kind="withdrawn")
    return ticket


def _near_front_row(ticket: Ticket) -> OutboxMessage:
    """After a call, tell residents who are now close to the front (SMS once per ticket): the
    outbox row of that task, to insert in the call's transaction (core.outbox.outbox_row_new)."""
    return outbox_row_new(
        "queues.tasks.queue_notify_near_front", ticket.office_id, ticket.service_id
    )


@transaction.atomic
def ticket_mark_near_front_sent(*, ticket_id: int) -> bool:
    return bool(
        Ticket.objects.filter(pk=ticket_id, near_front_sms_sent=False).update(
            near_front_sms_sent=True
        )
    )
