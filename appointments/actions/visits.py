"""A booking's life at the office: checked in (a queue ticket), completed, or a no-show."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.errors import IllegalTransition

from ..constants import BOOKING_TRANSITIONS, BookingStatus
from ..models import Booking


def _move(booking_id: int, target: str) -> Booking:
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    if target not in BOOKING_TRANSITIONS[booking.status]:
        raise IllegalTransition()
    booking.status = target
    booking.save(update_fields=["status"])
    return booking


@transaction.atomic
def booking_check_in(*, booking: Booking) -> Booking:
    return _move(booking.pk, BookingStatus.CHECKED_IN)


@transaction.atomic
def booking_complete(*, booking: Booking) -> Booking:
    return _move(booking.pk, BookingStatus.COMPLETED)


@transaction.atomic
def booking_mark_no_shows(*, day: dt.date | None = None) -> int:
    """Bookings of `day` (default today) never checked in become no-shows, which feed the
    booking rule on repeated no-shows. Run by Celery beat after closing time."""
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return Booking.objects.filter(
        status=BookingStatus.BOOKED, start__gte=start, start__lt=start + dt.timedelta(days=1)
    ).update(status=BookingStatus.NO_SHOW)
