"""Side effects of booking changes: outbox rows written in the change's transaction, carried
out after it commits (core/outbox.py)."""

from django.db import transaction

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


def booking_pdf_prepare(*, booking: Booking) -> None:
    """Have a worker render and store the confirmation PDF of a booking made without an e-mail
    address (with one, the confirmation e-mail stores it), while the resident reads the page
    offering the download: the download is then a file read, not a render (issue 17: within 2x
    a one-line PDF). Called when that page is shown, not at booking time, so a release rush
    through the API costs the workers no PDF that nobody asked for. Once per booking."""
    if booking.email:
        return
    with transaction.atomic():
        outbox_enqueue(
            "appointments.tasks.booking_pdf_prepare", booking.pk, key=f"{booking.pk}:pdf"
        )
