from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class SlotFull(DomainError):
    code = "slot_full"
    status = 409
    message = _("This time is fully booked. Please choose another time.")


class SlotUnavailable(DomainError):
    code = "slot_unavailable"
    status = 409
    message = _("This time can no longer be booked.")


class SlotClosed(SlotUnavailable):
    code = "closed"
    message = _("The office is closed on this day: %(reason)s")


class OutsideWindow(SlotUnavailable):
    code = "outside_window"
    message = _("Booking for this time has closed.")


class NotYetOpen(OutsideWindow):
    code = "not_yet_open"
    message = _("Booking for this time opens at %(when)s.")


class DuplicateBooking(DomainError):
    code = "duplicate"
    status = 409
    message = _("You already have an active booking for this service. Change or cancel it instead.")


class DailyLimit(DomainError):
    code = "daily_limit"
    status = 409
    message = _("You have reached the limit of %(limit)s bookings on one day.")


class Restricted(DomainError):
    code = "restricted"
    status = 403
    message = _("After repeated missed appointments, online booking is paused until %(until)s.")


class WaitingEntryNotFound(DomainError):
    code = "waiting_not_found"
    status = 404
    message = _("This waiting-list link is not valid. Use the link in your SMS.")


class BookingNotFound(DomainError):
    code = "not_found"
    status = 404
    message = _("No booking matches this code and ID number.")


class WrongService(DomainError):
    code = "wrong_service"
    status = 400
    message = _("This time is not for the chosen service.")


class OfferExpired(DomainError):
    code = "offer_expired"
    status = 410
    message = _("This offer has expired or was already used.")


class AlreadyWaiting(DomainError):
    code = "already_waiting"
    status = 409
    message = _("You are already on the waiting list for this day.")


class BundleNotServed(DomainError):
    code = "bundle_not_served"
    status = 409
    message = _(
        "This time is not for one visit of every part of this bundle: choose a time offered "
        "for the bundle, at an office with a counter that handles all its parts."
    )


class BundleSlotTooShort(BundleNotServed):
    code = "bundle_slot_too_short"
    message = _(
        "This time is too short for every part of the bundle (about %(minutes)s minutes at the "
        "counter). Choose a time offered for the bundle."
    )


class BundleNotBookable(DomainError):
    code = "bundle_not_bookable"
    status = 404
    message = _("No office takes bookings for this bundle as one visit yet.")
