"""Every write to the queue: check-in, calls, service, transfers, counters.

Two clerks pressing "call next" at the same instant never get the same ticket: the candidate
is locked with SELECT … FOR UPDATE SKIP LOCKED, so the second clerk skips to the next ticket
instead of waiting; on SQLite the whole write transaction is serialised (IMMEDIATE)."""

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.actions import audit_changed, audit_created, audit_record, audit_values
from accounts.models import AuditAction, User
from appointments import actions as booking_actions
from appointments.constants import BookingStatus
from appointments.models import Booking
from core.errors import IllegalTransition
from core.idnumbers import id_birth_date
from core.metrics import CALL_NEXT_SECONDS, timed
from core.outbox import outbox_enqueue
from core.retention import apply_in_batches
from core.rows import row_insert
from services.models import Counter, Office, Service

from . import selectors, streams
from .constants import (
    MAX_CALLS,
    SERVICE_LEVEL_ALERT_EVERY_MINUTES,
    TRANSITIONS,
    Band,
    EventKind,
    Outcome,
    TicketStatus,
)
from .errors import (
    CounterBusy,
    CounterPaused,
    NotCheckable,
    QueueEmpty,
    ServiceNotOffered,
    TooEarly,
    TooLate,
    UnknownBooking,
    WrongDay,
    WrongOffice,
)
from .models import CounterState, Kiosk, ServiceLevel, Ticket, TicketEvent, TicketSequence


def _rules() -> dict:
    return settings.QUEUES


def _event(
    ticket: Ticket,
    kind: str,
    *,
    counter: Counter | int | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> None:
    """`counter`: a Counter or its id (the ticket's `counter_id`, so that recording the event
    does not load the counter). A plain INSERT (core/rows.py): nothing listens to events."""
    counter_id = counter.pk if isinstance(counter, Counter) else counter
    event = TicketEvent(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        counter_id=counter_id,
        actor=actor,
        at=now or timezone.now(),
    )
    row_insert(event)
    # Every ticket write passes here: its audit entry, named by the clerk (None: the kiosk).
    audit_record(actor=actor, action=_AUDITED_AS.get(kind, AuditAction.STATUS_CHANGE), obj=ticket,
                 details={"event": kind, "status": ticket.status,
                          "counter_id": counter_id})  # fmt: skip
    streams.queue_changed(
        office_id=ticket.office_id, ticket_id=ticket.pk, kind=kind,
        counter_id=counter_id if counter_id is not None else ticket.counter_id,
    )  # fmt: skip


_AUDITED_AS: dict[str, AuditAction] = {
    EventKind.CHECKED_IN: AuditAction.CREATE,
    EventKind.RECALLED: AuditAction.CHANGE,
    EventKind.PRIORITY: AuditAction.CHANGE,
}


def _move(ticket: Ticket, target: str) -> None:
    if target not in TRANSITIONS[ticket.status]:
        raise IllegalTransition()
    ticket.status = target


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
) -> Ticket:
    """`priority` is its reason: "age" (65 or over by the ID number), "claimed" (at the kiosk,
    for the clerk to confirm), "" for none."""
    day = timezone.localdate(now)
    letter = service.category.ticket_letter
    ticket = Ticket.objects.create(
        office=office,
        service=service,
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


def _counter_state(counter: Counter, *, lock: bool = False) -> CounterState:
    rows = CounterState.objects.select_for_update() if lock else CounterState.objects
    state, _created = rows.get_or_create(counter=counter)
    return state


@transaction.atomic
def counter_open(*, counter: Counter, clerk: User) -> CounterState:
    state = _counter_state(counter)
    state.clerk, state.is_open, state.is_paused = clerk, True, False
    state.save()
    _counter_changed(counter, "opened")
    return state


@transaction.atomic
def counter_pause(*, counter: Counter, clerk: User, paused: bool) -> CounterState:
    state = _counter_state(counter)
    state.is_paused = paused
    state.save(update_fields=["is_paused", "changed_at"])
    _counter_changed(counter, "paused" if paused else "resumed")
    return state


@transaction.atomic
def counter_close(*, counter: Counter, clerk: User) -> CounterState:
    """Close for the day; a ticket still called or served there would be stranded."""
    if selectors.counter_current(counter) is not None:
        raise CounterBusy()
    state = _counter_state(counter)
    state.is_open, state.is_paused, state.clerk = False, False, None
    state.save()
    _counter_changed(counter, "closed")
    return state


def _counter_changed(counter: Counter, kind: str) -> None:
    streams.queue_changed(office_id=counter.office_id, kind=kind, counter_id=counter.pk)


def _lock_next(counter: Counter, now: dt.datetime, ticket_id: int | None) -> Ticket:
    if ticket_id is None:
        # The first in the queue, locked by id from SQL compiled once (the queue order built
        # and compiled on every press was a third of call-next's CPU), then read by its key.
        found = selectors.counter_next_waiting_id(counter, now=now)
        if found is None:
            raise QueueEmpty()
        return selectors.ticket_get_with_service(found)  # already locked
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
    *, counter: Counter, clerk: User, now: dt.datetime | None = None, ticket_id: int | None = None
) -> Ticket:
    """Call the first waiting ticket for this counter (or a specific one by id)."""
    now = now or timezone.now()
    # The counter's row lock serialises two presses at the same counter: the second one waits,
    # then finds the first one's ticket at the counter ("counter busy"), instead of calling a
    # second ticket that the one-active-ticket constraint would refuse with an IntegrityError.
    paused = selectors.counter_lock_paused(counter)
    if paused is None:
        paused = _counter_state(counter, lock=True).is_paused
    if paused:
        raise CounterPaused()
    if selectors.counter_is_busy(counter):  # after the lock: sees the other press's ticket
        raise CounterBusy()
    ticket = _lock_next(counter, now, ticket_id)
    _move(ticket, TicketStatus.CALLED)
    ticket.counter, ticket.clerk, ticket.called_at = counter, clerk, now
    ticket.call_count, ticket.target_counter = 1, None
    ticket.save(
        update_fields=["status", "counter", "clerk", "called_at", "call_count", "target_counter"]
    )
    _event(ticket, EventKind.CALLED, counter=counter, actor=clerk, now=now)
    _after_call(ticket.office_id, ticket.service_id, now)
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return selectors.ticket_get_with_service(ticket.pk, lock=True)


def _change(
    ticket: Ticket,
    target: str,
    kind: str,
    *,
    clerk: User,
    now: dt.datetime,
    at_counter: bool = True,
    **fields: Any,
) -> Ticket:
    """Lock, check the transition, set `fields`, save them and record the event (at the
    ticket's counter as it was before, when `at_counter`)."""
    ticket = _locked(ticket)
    where = ticket.counter_id if at_counter else None
    _move(ticket, target)
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.save(update_fields=["status", *fields])
    _event(ticket, kind, counter=where, actor=clerk, now=now)
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    """Call again. The third call without an answer makes the ticket missed."""
    now = now or timezone.now()
    ticket = _locked(ticket)
    if ticket.status != TicketStatus.CALLED:
        raise IllegalTransition()
    if ticket.call_count >= MAX_CALLS:
        _move(ticket, TicketStatus.MISSED)
        ticket.save()
        _event(ticket, EventKind.MISSED, counter=ticket.counter_id, actor=clerk, now=now)
        return ticket
    ticket.call_count += 1
    ticket.called_at = now
    ticket.save(update_fields=["call_count", "called_at"])
    _event(ticket, EventKind.RECALLED, counter=ticket.counter_id, actor=clerk, now=now)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    now = now or timezone.now()
    return _change(
        ticket, TicketStatus.SERVING, EventKind.STARTED, clerk=clerk, now=now, started_at=now
    )


@transaction.atomic
def ticket_finish(
    *, ticket: Ticket, clerk: User, outcome: str = Outcome.DONE, now: dt.datetime | None = None
) -> Ticket:
    """Finish with an outcome; a booked ticket completes its booking."""
    now = now or timezone.now()
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.CALLED:
        ticket.status = TicketStatus.SERVING  # finishing straight from a call is common
        ticket.started_at = ticket.started_at or now
    _move(ticket, TicketStatus.DONE)
    ticket.outcome = Outcome(outcome)
    ticket.finished_at = now
    ticket.save(update_fields=["status", "started_at", "outcome", "finished_at"])
    _event(ticket, EventKind.FINISHED, counter=ticket.counter_id, actor=clerk, now=now)
    if ticket.booking is not None:
        booking_actions.booking_complete(booking=ticket.booking)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, clerk: User, now: dt.datetime | None = None) -> Ticket:
    """The resident did not come; a booked ticket makes its booking a no-show (statistics and
    the rule on repeated no-shows count it)."""
    now = now or timezone.now()
    ticket = _change(
        ticket, TicketStatus.NO_SHOW, EventKind.NO_SHOW, clerk=clerk, now=now, finished_at=now
    )
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


def _after_call(office_id: int, service_id: int, now: dt.datetime) -> None:
    """Tell residents who are now close to the front (SMS once per ticket), after commit."""
    outbox_enqueue("queues.tasks.queue_notify_near_front", office_id, service_id)


@transaction.atomic
def ticket_mark_near_front_sent(*, ticket_id: int) -> bool:
    return bool(
        Ticket.objects.filter(pk=ticket_id, near_front_sms_sent=False).update(
            near_front_sms_sent=True
        )
    )


# --- kiosks: a device token set up once by the office manager ----------------------------------


@transaction.atomic
def kiosk_create(
    *, office: Office, name: str, is_active: bool = True, token: str | None = None
) -> tuple[Kiosk, str]:
    """A new kiosk and its device token; only the token's hash is stored, so the set-up link
    can be shown once and never again. (`token` is given only by the demo loader.)"""
    token = token or secrets.token_urlsafe(32)
    kiosk = Kiosk.objects.create(
        office=office, name=name, is_active=is_active, token_hash=selectors.kiosk_token_hash(token)
    )
    audit_created(kiosk)
    return kiosk, token


@transaction.atomic
def kiosk_reset_token(*, kiosk: Kiosk) -> str:
    """A new set-up link (the device lost its cookie or was stolen); the old token stops working."""
    token = secrets.token_urlsafe(32)
    Kiosk.objects.filter(pk=kiosk.pk).update(token_hash=selectors.kiosk_token_hash(token))
    audit_changed(kiosk, audit_values(kiosk), also={"token": ["replaced", "new"]})
    return token


def kiosk_touch(*, kiosk: Kiosk, now: dt.datetime | None = None) -> None:
    """Record that the device is alive, at most once a minute (a kiosk page is not a write)."""
    now = now or timezone.now()
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - dt.timedelta(minutes=1))
    Kiosk.objects.filter(stale, pk=kiosk.pk).update(last_seen_at=now)


# --- service levels ------------------------------------------------------------------------------


def _alert_row(office_id: int, service_id: int, target: int) -> ServiceLevel:
    """The service level a breach is stamped on: the service's own, else the office-wide one
    (made with the default target when the office has none, which changes no target)."""
    own = ServiceLevel.objects.filter(office_id=office_id, service_id=service_id).first()
    if own is not None:
        return own
    row, _created = ServiceLevel.objects.get_or_create(
        office_id=office_id, service=None, defaults={"target_minutes": target}
    )
    return row


@transaction.atomic
def service_level_check(*, now: dt.datetime | None = None) -> int:
    """Alert an office's managers when a service's longest wait passes its target; each service
    level alerts at most once per SERVICE_LEVEL_ALERT_EVERY_MINUTES (a conditional update, so two
    workers never both send). Returns how many breaches were reported."""
    from .selectors_console import service_level_breaches

    now = now or timezone.now()
    quiet_since = now - dt.timedelta(minutes=SERVICE_LEVEL_ALERT_EVERY_MINUTES)
    stamped: dict[int, bool] = {}
    due: dict[int, list] = {}
    for breach in service_level_breaches(now=now):
        row = _alert_row(breach.office_id, breach.service_id, breach.target)
        if row.pk not in stamped:
            stamped[row.pk] = bool(
                ServiceLevel.objects.filter(pk=row.pk)
                .filter(Q(alerted_at__isnull=True) | Q(alerted_at__lt=quiet_since))
                .update(alerted_at=now)
            )
        if stamped[row.pk]:
            due.setdefault(breach.office_id, []).append(breach)
    for office_id, breaches in due.items():
        outbox_enqueue("queues.tasks.service_level_alert", office_id, [
            {"service_id": b.service_id, "longest": b.longest, "target": b.target}
            for b in breaches
        ])  # fmt: skip
    return sum(len(breaches) for breaches in due.values())


# --- retention (settings.RETENTION, core/retention.py) ---------------------------------------


def ticket_anonymise_before(*, cutoff: dt.datetime) -> int:
    """Tickets of days before `cutoff` (local date) lose the phone number given for the "you
    are next" SMS; office, service, times, counter, band and outcome stay for the statistics."""
    day = timezone.localtime(cutoff).date()
    due = Ticket.objects.filter(day__lt=day).exclude(phone="")
    return apply_in_batches(due, lambda ids: _tickets_anonymise(ids=ids, cutoff=cutoff))


@transaction.atomic
def _tickets_anonymise(*, ids: list[int], cutoff: dt.datetime) -> int:
    done = Ticket.objects.filter(pk__in=ids).exclude(phone="").update(phone="")
    if done:
        audit_record(
            actor=None,
            action=AuditAction.ANONYMISE,
            obj=Ticket,
            details={"count": done, "before": cutoff.isoformat()},
        )
    return done


def ticket_anonymise_for_resident(*, user: User, id_number_hmac: str) -> int:
    """A deleted account's tickets lose the mobile number, as the retention job drops it;
    the visit itself stays for the statistics."""
    tickets = selectors.ticket_list_for_resident(user=user, id_number_hmac=id_number_hmac)
    return tickets.exclude(phone="").update(phone="")
