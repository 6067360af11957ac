from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class TooEarly(DomainError):
    code = "too_early"
    status = 409
    message = _("Too early: check-in for this booking opens at %(when)s.")


class TooLate(DomainError):
    code = "too_late"
    status = 409
    message = _("Your booking time has passed; you can take a walk-in ticket instead.")


class WrongDay(DomainError):
    code = "wrong_day"
    status = 409
    message = _("This booking is for %(day)s, not today.")


class WrongOffice(DomainError):
    code = "wrong_office"
    status = 409
    message = _("This booking is for another office: %(office)s.")


class NotCheckable(DomainError):
    code = "not_checkable"
    status = 409
    message = _("This booking cannot be checked in (it was cancelled, used or missed).")


class QueueEmpty(DomainError):
    code = "queue_empty"
    status = 409
    message = _("Nobody is waiting for this counter.")


class CounterBusy(DomainError):
    code = "counter_busy"
    status = 409
    message = _("Counter busy: a ticket is already at this counter. Finish it first.")


class CounterTaken(DomainError):
    """A console action at a counter another clerk has opened since: nothing is done, and the
    console says who works it (raised only for a CounterClaim, queues/selectors/console.py)."""

    code = "counter_taken"
    status = 409
    message = _("This action is not possible in the current state.")

    def __init__(self, counter: Any) -> None:
        super().__init__()
        self.counter = counter  # the Counter, its state (and clerk id) read with the ticket


class CounterPaused(DomainError):
    code = "counter_paused"
    status = 409
    message = _("The counter is paused. Resume it to call the next resident.")


class ServiceNotOffered(DomainError):
    code = "service_not_offered"
    status = 400
    message = _("This office does not offer this service.")


class UnknownBooking(DomainError):
    code = "not_found"
    status = 404
    message = _("No booking has this code. Please check it, or take a walk-in ticket.")


class OfficeClosed(DomainError):
    code = "office_closed"
    status = 409
    message = _("The office is closed now. It opens %(when)s; walk-in tickets are given from then.")


class WalkInsEnded(DomainError):
    code = "walk_ins_ended"
    status = 409
    message = _(
        "Walk-in tickets end %(minutes)s minutes before closing time. The office opens again "
        "%(when)s."
    )


class NoWalkInHours(DomainError):
    code = "no_walk_in_hours"
    status = 409
    message = _("This office has no opening hours for walk-ins. Please ask at the reception desk.")
