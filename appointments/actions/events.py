"""Side effects of booking changes, run only after the transaction commits."""

from django.db import transaction

from ..models import Booking


def booking_event(booking: Booking, kind: str) -> None:
    """Tell the resident (SMS, e-mail with PDF and .ics) once the change is committed."""
    from .. import tasks

    booking_id = booking.pk
    transaction.on_commit(lambda: tasks.booking_notify.delay(booking_id, kind), robust=True)


def waiting_event(entry_id: int, kind: str) -> None:
    from .. import tasks

    transaction.on_commit(lambda: tasks.waiting_notify.delay(entry_id, kind), robust=True)
