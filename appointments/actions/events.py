"""Side effects of booking changes: outbox rows written in the change's transaction, carried
out after it commits (core/outbox.py)."""

from core.models import OutboxMessage
from core.outbox import outbox_enqueue, outbox_row_new

from ..models import Booking

_NOTIFY = "appointments.tasks.booking_notify"


def booking_event(booking: Booking, kind: str) -> None:
    """Tell the resident (SMS, e-mail with PDF and .ics) once the change is committed."""
    # One message of each kind per booking, however often the change is replayed.
    outbox_enqueue(_NOTIFY, booking.pk, kind, key=f"{booking.pk}:{kind}")


def booking_event_row(booking: Booking, kind: str) -> OutboxMessage:
    """booking_event's outbox row, not yet inserted (core.outbox.outbox_row_new)."""
    return outbox_row_new(_NOTIFY, booking.pk, kind, key=f"{booking.pk}:{kind}")


def waiting_event(entry_id: int, kind: str) -> None:
    outbox_enqueue("appointments.tasks.waiting_notify", entry_id, kind)
