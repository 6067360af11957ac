"""Every write to schedules, slots, bookings and the waiting list."""

from .accounts import booking_anonymise_for_resident, booking_attach_to_user
from .booking import (
    booking_cancel,
    booking_code_new,
    booking_create,
    booking_create_bundle,
    booking_reschedule,
    slot_give_back_place,
    slot_release_embargoed_places,
    slot_take_place,
)
from .events import booking_pdf_prepare
from .lookup import booking_lookup
from .reminders import booking_mark_reminded
from .retention import booking_anonymise_before, quota_purge_before, waiting_anonymise_before
from .slots import closure_apply, closure_save, slot_generate, slot_generate_for_schedule
from .visits import booking_check_in, booking_complete, booking_mark_no_shows, booking_no_show
from .waiting import (
    waiting_accept,
    waiting_entry_from_manage_token,
    waiting_entry_from_token,
    waiting_expire_offers,
    waiting_join,
    waiting_leave,
    waiting_manage_token,
    waiting_offer_place,
    waiting_offer_token,
)

__all__ = [
    "booking_lookup",
    "booking_pdf_prepare",
    "booking_check_in",
    "booking_complete",
    "booking_mark_no_shows",
    "booking_no_show",
    "booking_anonymise_before",
    "booking_anonymise_for_resident",
    "quota_purge_before",
    "waiting_anonymise_before",
    "booking_attach_to_user",
    "booking_cancel",
    "booking_code_new",
    "booking_create",
    "booking_create_bundle",
    "booking_mark_reminded",
    "booking_reschedule",
    "slot_give_back_place",
    "slot_release_embargoed_places",
    "slot_take_place",
    "closure_apply",
    "closure_save",
    "slot_generate",
    "slot_generate_for_schedule",
    "waiting_accept",
    "waiting_entry_from_manage_token",
    "waiting_entry_from_token",
    "waiting_expire_offers",
    "waiting_join",
    "waiting_leave",
    "waiting_manage_token",
    "waiting_offer_place",
    "waiting_offer_token",
]
