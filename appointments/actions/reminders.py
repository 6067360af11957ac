"""The day-before reminder: marking a booking as reminded is the lock that makes it once."""

import datetime as dt

from ..constants import BookingStatus
from ..models import Booking


def booking_mark_reminded(*, booking_id: int, now: dt.datetime) -> bool:
    """True for exactly one caller per booking: a conditional UPDATE, so two reminder runs at
    the same time cannot both win."""
    return bool(
        Booking.objects.filter(
            pk=booking_id, status=BookingStatus.BOOKED, reminder_sent_at__isnull=True
        ).update(reminder_sent_at=now)
    )
