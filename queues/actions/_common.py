"""Pieces the queue's actions share: the rule table, the event log, counter state."""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.actions import audit_entry_new
from accounts.models import AuditAction, User
from core.errors import IllegalTransition
from core.rows import rows_insert
from queues import streams
from queues.constants import (
    TRANSITIONS,
    EventKind,
)
from queues.models import CounterState, Ticket, TicketEvent
from services.models import Counter


def _rules() -> dict:
    return settings.QUEUES


def _event(
    ticket: Ticket,
    kind: str,
    *,
    counter: Counter | int | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
    saved: Sequence[str] = (),
    also: Sequence[tuple[models.Model, str]] = (),
) -> list[bool]:
    """`counter`: a Counter or its id (the ticket's `counter_id`, so that recording the event
    does not load the counter). Plain SQL (core/rows.py): nothing listens to events or tickets.

    `saved`: the ticket's fields the change set, saved in the same statement as the event
    (`ticket.save(update_fields=saved)` before it, one round trip less on every console key).
    `also`: more rows to insert with them, `(obj, ignore_conflict_on)` as rows_insert takes
    them; returned: whether each of those was inserted."""
    counter_id = counter.pk if isinstance(counter, Counter) else counter
    event = TicketEvent(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        counter_id=counter_id,
        actor=actor,
        at=now or timezone.now(),
    )
    # Every ticket write passes here: its audit entry, named by the clerk (None: the kiosk),
    # inserted with the event in one statement.
    entry = audit_entry_new(
        actor=actor,
        action=_AUDITED_AS.get(kind, AuditAction.STATUS_CHANGE),
        obj=ticket,
        details={"event": kind, "status": ticket.status, "counter_id": counter_id},
    )
    inserted = rows_insert((event, ""), (entry, ""), *also, updates=[(ticket, saved)] * bool(saved))
    streams.queue_changed(
        office_id=ticket.office_id, ticket_id=ticket.pk, kind=kind,
        counter_id=counter_id if counter_id is not None else ticket.counter_id,
    )  # fmt: skip
    return inserted[2:]


_AUDITED_AS: dict[str, AuditAction] = {
    EventKind.CHECKED_IN: AuditAction.CREATE,
    EventKind.RECALLED: AuditAction.CHANGE,
    EventKind.PRIORITY: AuditAction.CHANGE,
}


def _move(ticket: Ticket, target: str) -> None:
    if target not in TRANSITIONS[ticket.status]:
        raise IllegalTransition()
    ticket.status = target


def _counter_state(counter: Counter, *, lock: bool = False) -> CounterState:
    rows = CounterState.objects.select_for_update() if lock else CounterState.objects
    state, _created = rows.get_or_create(counter=counter)
    return state
