"""Statuses of bookings and waiting-list entries, and the allowed transitions, as plain tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.codes import UNAMBIGUOUS_ALPHABET

BOOKING_CODE_ALPHABET = UNAMBIGUOUS_ALPHABET
BOOKING_CODE_LENGTH = 8
# Where a booking's stored confirmation PDFs are kept (core/printstore.py): one folder per code.
BOOKING_PDF_FOLDER = "bookings/{code}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class CancelledBy(models.TextChoices):
    RESIDENT = "resident", _("the resident")
    OFFICE = "office", _("the office (closure)")


ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)

BOOKING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    BookingStatus.BOOKED: (
        BookingStatus.CHECKED_IN,
        BookingStatus.CANCELLED,
        BookingStatus.NO_SHOW,
    ),
    BookingStatus.CHECKED_IN: (BookingStatus.COMPLETED, BookingStatus.NO_SHOW),
    BookingStatus.COMPLETED: (),
    BookingStatus.CANCELLED: (),
    BookingStatus.NO_SHOW: (),
}


class WaitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered a place")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
