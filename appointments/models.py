"""Schedules, closures, slots, bookings and the waiting list.

The capacity guard is in the database: `Slot.booked <= Slot.bookable` is a CHECK constraint and
bookings take a place with a conditional UPDATE (see actions.slot_take_place); one active booking
per person and service is a partial UNIQUE index.
"""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import Localized
from core.privacy import notice_version_model_field
from services.models import Bundle, Office, Service, Weekday

from .constants import BookingStatus, CancelledBy, WaitStatus


class Schedule(models.Model):
    """When an office takes appointments for a service (or a group sharing the same counters)."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("office")
    )
    services = models.ManyToManyField(
        Service, related_name="schedules", blank=True, verbose_name=_("services")
    )
    # 一件事: one long slot for every part of a bundle, at a counter that serves them all. A
    # schedule taking only bundle visits lists no services, so its long slots are never offered
    # to a single service's booking.
    bundles = models.ManyToManyField(
        Bundle,
        related_name="schedules",
        blank=True,
        verbose_name=_("bundles (一件事) booked as one visit"),
        help_text=_(
            "Each slot is one visit for all parts of the bundle: make the slots at least as long "
            "as the parts' counter minutes together, at an office with a counter serving them all."
        ),
    )
    name = models.CharField(_("name"), max_length=100)
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("residents per slot"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    walkin_percent = models.PositiveSmallIntegerField(
        _("share kept for walk-ins (%)"), default=25, validators=[MaxValueValidator(100)]
    )
    release_days_ahead = models.PositiveSmallIntegerField(
        _("days bookable ahead"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    release_time = models.TimeField(_("daily release time"), default=dt.time(8, 0))
    close_minutes_before = models.PositiveSmallIntegerField(
        _("booking closes (minutes before the slot)"), default=60
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "name"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return f"{self.office} · {self.name}"

    @property
    def bookable_per_slot(self) -> int:
        kept = (self.capacity * self.walkin_percent + 99) // 100
        return max(self.capacity - kept, 0)


class SchedulePeriod(models.Model):
    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="periods", verbose_name=_("schedule")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("appointment period")
        verbose_name_plural = _("appointment periods")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="period_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Closure(models.Model):
    """A day or range with no appointments: a public holiday (no office), a whole office, or one
    service at one office."""

    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("office"),
        help_text=_("Empty: a public holiday for every office."),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("service"),
        help_text=_("Empty: the whole office is closed."),
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason_zh = models.CharField(_("reason (Chinese)"), max_length=200)
    reason_en = models.CharField(_("reason (English)"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    reason = Localized("reason")

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("closure or holiday")
        verbose_name_plural = _("closures and holidays")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="closure_end_not_before_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date} {self.reason_zh}"


class MakeUpWorkingDay(models.Model):
    """A Saturday or Sunday worked in exchange for a holiday (调休) that the installed calendar
    (core.workdays, chinesecalendar) does not know: a year it does not cover yet, or a local
    arrangement. Counted as a working day for time limits; schedules offer slots on it."""

    date = models.DateField(_("date"), unique=True)
    reason_zh = models.CharField(_("reason (Chinese)"), max_length=200)
    reason_en = models.CharField(_("reason (English)"), max_length=250, blank=True)

    reason = Localized("reason")

    class Meta:
        ordering = ["-date"]
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")

    def __str__(self) -> str:
        return f"{self.date} {self.reason_zh}"


class Slot(models.Model):
    """An interval at an office with places for the schedule's services."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, related_name="slots", verbose_name=_("schedule")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="slots", verbose_name=_("office")
    )
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    bookable = models.PositiveSmallIntegerField(_("places bookable online"))
    booked = models.PositiveSmallIntegerField(_("places taken"), default=0)
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        ordering = ["start"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "start"], name="slot_unique_start"),
            models.CheckConstraint(
                condition=Q(booked__lte=F("bookable")), name="slot_never_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(bookable__lte=F("capacity")), name="slot_bookable_within_capacity"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
        ]
        indexes = [models.Index(fields=["office", "start"])]

    def __str__(self) -> str:
        return f"{self.office} {timezone.localtime(self.start):%Y-%m-%d %H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.bookable - self.booked, 0)


class Booking(models.Model):
    encrypted_fields = {"id_number_enc": "id_number_hmac"}  # for `manage.py rotate_keys`

    code = models.CharField(_("booking code"), max_length=12, unique=True)
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("service")
    )
    # A 一件事 visit: every part of the bundle in one slot; `service` is its first part.
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("bundle (一件事)"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("office")
    )
    start = models.DateTimeField(_("start"), db_index=True)
    name = models.CharField(_("name"), max_length=50)
    id_number_enc = models.TextField(_("ID number (encrypted)"))
    id_number_hmac = models.CharField(max_length=64, db_index=True, editable=False)
    id_masked = models.CharField(_("ID number"), max_length=18)
    phone = models.CharField(_("mobile number"), max_length=11)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("account"),
    )
    api_client = models.CharField(max_length=100, blank=True)
    privacy_notice_version = notice_version_model_field()
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    place_released = models.BooleanField(
        default=False, editable=False, help_text="The cancelled place went back to the pool."
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        editable=False,
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the retention period ended and the personal fields were cleared.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hmac", "service"],
                condition=Q(status="booked"),
                name="booking_one_active_per_person_and_service",
            ),
        ]
        indexes = [models.Index(fields=["id_number_hmac", "start"])]

    def __str__(self) -> str:
        return self.code


class WaitingListEntry(models.Model):
    encrypted_fields = {"id_number_enc": "id_number_hmac"}

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="waiting_list", verbose_name=_("office")
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="waiting_list", verbose_name=_("service")
    )
    date = models.DateField(_("day"))
    # Read out on the phone and printed in the SMS; entries made before it existed have none.
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(_("name"), max_length=50)
    id_number_enc = models.TextField()
    id_number_hmac = models.CharField(max_length=64, db_index=True, editable=False)
    id_masked = models.CharField(_("ID number"), max_length=18)
    phone = models.CharField(_("mobile number"), max_length=11)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=WaitStatus.choices, default=WaitStatus.WAITING
    )
    privacy_notice_version = notice_version_model_field()
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    offered_slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="waiting_entry"
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting list")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hmac", "office", "service", "date"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waiting_once_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.date} {self.id_masked}"


class PersonQuota(models.Model):
    """One row per person and day, locked while booking so the daily limit holds under races."""

    id_number_hmac = models.CharField(max_length=64)
    date = models.DateField()
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["id_number_hmac", "date"], name="quota_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.count}"
