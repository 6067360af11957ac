"""The resident's booking pages: service → office → day and time → details → confirmation, and
finding, moving and cancelling a booking. No account is needed: a booking is shown only to the
browser session that made (or looked up) it, never to someone who merely has its URL.

Every page works without JavaScript; htmx only swaps the day's times in place."""

from ._common import (
    CALENDAR_DAYS,
    SESSION_KEY,
    SESSION_MAX,
    SLOT_ERRORS,
    _remember,
)
from .booking import (
    booking_create,
    booking_done,
    booking_ics,
    booking_pdf,
    office_choose,
    service_choose,
    slot_choose,
)
from .manage import (
    booking_cancel,
    booking_lookup,
    booking_manage,
    booking_reschedule,
)
from .waiting import (
    offer_accept,
    waiting_join,
    waiting_manage,
)

__all__ = [
    "SESSION_KEY",
    "SESSION_MAX",
    "CALENDAR_DAYS",
    "SLOT_ERRORS",
    "_remember",
    "service_choose",
    "office_choose",
    "slot_choose",
    "booking_create",
    "booking_done",
    "booking_pdf",
    "booking_ics",
    "booking_lookup",
    "booking_manage",
    "booking_cancel",
    "booking_reschedule",
    "waiting_join",
    "waiting_manage",
    "offer_accept",
]
