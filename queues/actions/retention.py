"""Retention: anonymising old tickets and a deleted resident's tickets."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from core.retention import apply_in_batches
from queues import selectors
from queues.models import Ticket

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
