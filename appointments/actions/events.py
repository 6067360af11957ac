"""Side effects of booking changes: outbox rows written in the change's transaction, carried
out after it commits (core/outbox.py)."""

from core.outbox import outbox_enqueue

from ..models import Booking


def booking_event(booking: Booking, kind: str) -> None:
    """Tell the resident (SMS, e-mail with PDF and .ics) once the change is committed."""
    # One message of each kind per booking, however often the change is replayed.
    key = f"{booking.pk}:{kind}"
    outbox_enqueue("appointments.tasks.booking_notify", booking.pk, kind, key=key)


def waiting_event(entry_id: int, kind: str) -> None:
    outbox_enqueue("appointments.tasks.waiting_notify", entry_id, kind)
