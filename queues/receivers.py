"""queues' answers to the residents' account events of accounts/signals.py. Connected in
QueuesConfig.ready().

A walk-in ticket is the resident's by the mobile number it was taken with, and feedback finds
the ratings of those visits by it: the number is dropped on `resident_forgetting`, after every
`resident_deleting` receiver has looked."""

from django.dispatch import receiver

from accounts.actions import resident_forgetting
from accounts.selectors import export_time, resident_data_requested

from . import actions, selectors


@receiver(resident_forgetting, dispatch_uid="queues.anonymise_resident_tickets")
def anonymise_tickets(sender, *, user, id_number_hmac: str, **kwargs) -> int:
    return actions.ticket_anonymise_for_resident(user=user, id_number_hmac=id_number_hmac)


@receiver(resident_data_requested, dispatch_uid="queues.resident_tickets_export")
def tickets_export(sender, *, user, id_number_hmac: str, **kwargs) -> dict:
    tickets = selectors.ticket_list_for_resident(user=user, id_number_hmac=id_number_hmac)
    return {"queue_tickets": [_ticket_data(t) for t in tickets]}


def _ticket_data(ticket) -> dict:
    return {
        "ticket": ticket.display,
        "office": ticket.office.name,
        "service": ticket.service.name,
        "day": ticket.day.isoformat(),
        "booking_code": ticket.booking.code if ticket.booking else None,
        "mobile_number": ticket.phone,
        "status": ticket.status,
        "outcome": ticket.outcome,
        "counter": ticket.counter.number if ticket.counter else None,
        "checked_in_at": export_time(ticket.arrived_at),
        "called_at": export_time(ticket.called_at),
        "finished_at": export_time(ticket.finished_at),
    }
