"""The end of a queue day: tickets still open close as not finished."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from queues import selectors
from queues.actions._common import _event, _move
from queues.constants import OPEN, EventKind, TicketStatus
from queues.models import Ticket


def ticket_close_before(*, day: dt.date) -> int:
    """Tickets of days before `day` still waiting, called, served or stepped away become not
    finished (Celery beat, after midnight), so that yesterday's statistics are final and the
    resident's ticket page stops saying "waiting". The counters do not wait for this: a ticket
    left called yesterday never blocks today's calls (queues.selectors.counter_is_busy).

    One ticket at a time, each under its row lock with its event and its audit entry (no
    actor: the system). A booking stays checked in: the resident came, and is not counted as a
    no-show for a day the office ended."""
    due = Ticket.objects.filter(day__lt=day, status__in=list(OPEN)).values_list("pk", flat=True)
    now = timezone.now()
    return sum(_ticket_close(ticket_id, now=now) for ticket_id in list(due))


@transaction.atomic
def _ticket_close(ticket_id: int, *, now: dt.datetime) -> bool:
    ticket = selectors.ticket_get_with_service(ticket_id, lock=True)
    if ticket.status not in OPEN:
        return False  # finished by a clerk since the list was read
    _move(ticket, TicketStatus.UNFINISHED)
    ticket.save(update_fields=["status"])
    _event(ticket, EventKind.CLOSED, counter=ticket.counter_id, now=now)
    return True
