"""A booking's life at the office: checked in (a queue ticket), completed, or a no-show."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.actions import audit_changed, audit_values
from core.errors import IllegalTransition

from ..constants import BOOKING_TRANSITIONS, BookingStatus
from ..models import Booking


def _move(booking_id: int, target: str) -> Booking:
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    if target not in BOOKING_TRANSITIONS[booking.status]:
        raise IllegalTransition()
    before = audit_values(booking)
    booking.status = target
    booking.save(update_fields=["status"])
    audit_changed(booking, before)
    return booking


@transaction.atomic
def booking_check_in(*, booking: Booking) -> Booking:
    return _move(booking.pk, BookingStatus.CHECKED_IN)


@transaction.atomic
def booking_complete(*, booking: Booking) -> Booking:
    return _move(booking.pk, BookingStatus.COMPLETED)


@transaction.atomic
def booking_no_show(*, booking: Booking) -> Booking:
    """Checked in, then did not come to the counter when called (the clerk's no-show): counted
    like a booking never checked in, by the statistics and the rule on repeated no-shows."""
    return _move(booking.pk, BookingStatus.NO_SHOW)


def booking_mark_no_shows(*, day: dt.date | None = None) -> int:
    """Bookings of `day` (default today) never checked in become no-shows, which feed the
    booking rule on repeated no-shows. Run by Celery beat after closing time.

    One booking at a time, each in its own transaction under its row lock, so that every
    no-show is a status change in the audit trail (a resident restricted for three no-shows can
    be shown each one) and a booking checked in at the last minute is left alone."""
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    due = Booking.objects.filter(
        status=BookingStatus.BOOKED, start__gte=start, start__lt=start + dt.timedelta(days=1)
    ).values_list("pk", flat=True)
    marked = 0
    for booking_id in list(due):
        try:
            with transaction.atomic():
                _move(booking_id, BookingStatus.NO_SHOW)
        except IllegalTransition:
            continue  # checked in or cancelled since the list was read
        marked += 1
    return marked
