"""Tickets, counters at work, kiosks and service levels."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appointments.models import Booking
from services.models import Bundle, Counter, Office, Service

from .constants import ACTIVE, Band, EventKind, Outcome, TicketStatus


class TicketSequence(models.Model):
    """The last number given per office, day and letter; locked while a ticket is drawn."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE)
    day = models.DateField()
    letter = models.CharField(max_length=1)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "letter"], name="ticketseq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.letter}{self.last:03d}"


class Ticket(models.Model):
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("office")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("service")
    )
    # A 一件事 visit's one ticket: called only by a counter that serves every part.
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("bundle (一件事)"),
    )
    day = models.DateField(_("day"))
    letter = models.CharField(max_length=1)
    number = models.PositiveIntegerField()
    booking = models.OneToOneField(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("booking"),
    )
    slot_start = models.DateTimeField(null=True, blank=True)
    band = models.PositiveSmallIntegerField(choices=Band.choices, default=Band.WALK_IN)
    priority = models.BooleanField(_("priority"), default=False)
    priority_reason = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TicketStatus.choices,
        default=TicketStatus.WAITING,
        db_index=True,
    )
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    target_counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transferred_tickets",
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets_served",
    )
    call_count = models.PositiveSmallIntegerField(default=0)
    arrived_at = models.DateTimeField(_("checked in at"))
    called_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    phone = models.CharField(max_length=11, blank=True)
    follow_token = models.CharField(max_length=40, unique=True)
    near_front_sms_sent = models.BooleanField(default=False)

    # Not a column: how many tickets were waiting for the counter when call next found this one
    # (it among them), read in the statement that found it; None when not read that way.
    waiting_with: int | None = None

    class Meta:
        ordering = ["day", "band", "arrived_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "letter", "number"], name="ticket_unique_number"
            ),
            # A counter holds at most one ticket being called or served at a time, on each day:
            # a ticket left open yesterday (the day-end job not run yet) does not block today.
            models.UniqueConstraint(
                fields=["counter", "day"],
                condition=Q(status__in=list(ACTIVE)),
                name="ticket_one_active_per_counter",
            ),
        ]
        indexes = [models.Index(fields=["office", "day", "status"])]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return f"{self.letter}{self.number:03d}"


class CounterState(models.Model):
    """Who works a counter right now, and whether it is paused."""

    counter = models.OneToOneField(Counter, on_delete=models.CASCADE, related_name="state")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counter_states",
    )
    is_open = models.BooleanField(default=False)
    is_paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.counter} open={self.is_open} paused={self.is_paused}"


class TicketEvent(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="ticket_events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    counter = models.ForeignKey(Counter, on_delete=models.SET_NULL, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind}"


class ServiceLevel(models.Model):
    """A target waiting time for a service at an office (green / amber / red)."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="service_levels", verbose_name=_("office")
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    target_minutes = models.PositiveSmallIntegerField(_("target wait (minutes)"), default=15)
    alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["office", "service"], name="servicelevel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.target_minutes}"


class Kiosk(models.Model):
    """A check-in device; the office manager creates it and opens its set-up link on the
    device once, which stores the device token in a long-lived cookie."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="kiosks", verbose_name=_("office")
    )
    name = models.CharField(_("name"), max_length=50)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")

    def __str__(self) -> str:
        return f"{self.office} · {self.name}"
