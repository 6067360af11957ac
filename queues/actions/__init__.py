"""Every write to the queue: check-in, calls, service, transfers, counters.

Two clerks pressing "call next" at the same instant never get the same ticket: the candidate
is locked with SELECT … FOR UPDATE SKIP LOCKED, so the second clerk skips to the next ticket
instead of waiting; on SQLite the whole write transaction is serialised (IMMEDIATE)."""

from .counters import (
    counter_close,
    counter_open,
    counter_pause,
)
from .day_end import (
    ticket_close_before,
)
from .kiosks import (
    kiosk_create,
    kiosk_reset_token,
    kiosk_touch,
)
from .levels import (
    service_level_check,
)
from .retention import (
    ticket_anonymise_before,
    ticket_anonymise_for_resident,
)
from .tickets import (
    ticket_call_next,
    ticket_check_in_booking,
    ticket_finish,
    ticket_mark_near_front_sent,
    ticket_no_show,
    ticket_park,
    ticket_priority_check,
    ticket_recall,
    ticket_set_priority,
    ticket_start,
    ticket_take_walk_in,
    ticket_transfer,
    ticket_unpark,
)

__all__ = [
    "counter_open",
    "counter_pause",
    "counter_close",
    "kiosk_create",
    "kiosk_reset_token",
    "kiosk_touch",
    "service_level_check",
    "ticket_anonymise_before",
    "ticket_anonymise_for_resident",
    "ticket_check_in_booking",
    "ticket_take_walk_in",
    "ticket_call_next",
    "ticket_recall",
    "ticket_start",
    "ticket_finish",
    "ticket_no_show",
    "ticket_transfer",
    "ticket_park",
    "ticket_unpark",
    "ticket_set_priority",
    "ticket_priority_check",
    "ticket_mark_near_front_sent",
    "ticket_close_before",
]
