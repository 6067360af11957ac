"""Ticket statuses, outcomes and the allowed transitions, as plain tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("queue", "Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    PARKED = "parked", _("Stepped away")
    DONE = "done", _("Finished")
    MISSED = "missed", _("Missed")
    NO_SHOW = "no_show", _("No-show")
    # Still open when its day ended (queues.actions.ticket_close_before): the clerk never
    # pressed finish, or the office closed before the resident's turn. Nobody is blamed.
    UNFINISHED = "unfinished", _("Not finished (closed at the end of the day)")


class Outcome(models.TextChoices):
    DONE = "done", _("Done")
    ANOTHER_VISIT = "another_visit", _("Needs another visit")
    REFUSED = "refused", _("Refused")


class EventKind(models.TextChoices):
    CHECKED_IN = "checked_in", _("Checked in")
    CALLED = "called", _("Called")
    RECALLED = "recalled", _("Called again")
    STARTED = "started", _("Service started")
    FINISHED = "finished", _("Finished")
    NO_SHOW = "no_show", _("No-show")
    MISSED = "missed", _("Missed")
    TRANSFERRED = "transferred", _("Transferred")
    PARKED = "parked", _("Stepped away")
    UNPARKED = "unparked", _("Back in the queue")
    PRIORITY = "priority", _("Given priority")
    CLOSED = "closed", _("Closed at the end of the day")


class Band(models.IntegerChoices):
    """Queue bands, lowest first; within a band, earlier arrival first (queues.selectors)."""

    PRIORITY = 0, _("Priority")
    BOOKED = 1, _("Booked, on time")
    WALK_IN = 2, _("Walk-in or late booking")


ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)
OPEN = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED)

_ENDS_DAY = TicketStatus.UNFINISHED  # every open ticket, at the end of its day

TRANSITIONS: dict[str, tuple[str, ...]] = {
    TicketStatus.WAITING: (
        TicketStatus.CALLED,
        TicketStatus.PARKED,
        TicketStatus.NO_SHOW,
        _ENDS_DAY,
    ),
    TicketStatus.CALLED: (
        TicketStatus.CALLED,
        TicketStatus.SERVING,
        TicketStatus.MISSED,
        TicketStatus.NO_SHOW,
        TicketStatus.WAITING,
        TicketStatus.PARKED,
        _ENDS_DAY,
    ),
    TicketStatus.SERVING: (TicketStatus.DONE, TicketStatus.WAITING, _ENDS_DAY),
    TicketStatus.PARKED: (TicketStatus.WAITING, TicketStatus.NO_SHOW, _ENDS_DAY),
    TicketStatus.DONE: (),
    TicketStatus.MISSED: (TicketStatus.WAITING,),
    TicketStatus.NO_SHOW: (),
    TicketStatus.UNFINISHED: (),
}

MAX_CALLS = 3


class WaitLevel(models.TextChoices):
    """A waiting time against its service level target (queues.selectors.console.wait_level)."""

    GREEN = "green", _("Within target")
    AMBER = "amber", _("Close to target")
    RED = "red", _("Over target")


# Amber from this share of the target on; red past the target itself.
AMBER_FROM = 0.75
# A manager hears about one office's service level at most once in this many minutes.
SERVICE_LEVEL_ALERT_EVERY_MINUTES = 30
