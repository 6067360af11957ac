"""Booking, rescheduling and cancelling. The capacity guard is a conditional UPDATE on the slot
inside the booking's transaction; the unique partial index on bookings is the duplicate guard."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.actions import audit_changed, audit_created_entry, audit_values
from accounts.models import User
from core.codes import random_code
from core.crypto import encrypt_text, pii_hmac
from core.errors import IllegalTransition
from core.idnumbers import mask_id_number, validate_id_number
from core.metrics import booking_outcome_counted
from core.outbox import outbox_row_written
from core.rows import row_insert, row_insert_select, row_inserted, rows_insert
from services.models import Bundle, Service
from services.selectors import bundle_parts

from .. import selectors
from ..constants import (
    BOOKING_CODE_ALPHABET,
    BOOKING_CODE_LENGTH,
    BOOKING_TRANSITIONS,
    BookingStatus,
    CancelledBy,
)
from ..errors import (
    BundleNotServed,
    DailyLimit,
    DuplicateBooking,
    Restricted,
    SlotFull,
    WrongService,
)
from ..models import Booking, PersonQuota, Slot
from .events import booking_event, booking_event_row


def booking_code_new() -> str:
    return random_code(BOOKING_CODE_LENGTH, BOOKING_CODE_ALPHABET)


def _check_transition(booking: Booking, target: str) -> None:
    if target not in BOOKING_TRANSITIONS[booking.status]:
        raise IllegalTransition()


def _bookable_slot(slot_id: int, service: Service, now: dt.datetime) -> Slot:
    """The slot, or the reason it cannot be booked for `service` now. Raises Slot.DoesNotExist."""
    slot, offers_service = selectors.slot_for_booking(slot_id=slot_id, service=service)
    if not offers_service:
        raise WrongService()
    refusal = selectors.slot_refusal(slot, service, now=now)
    if refusal is not None:
        raise refusal
    return slot


def _check_person(id_hmac: str, service: Service, now: dt.datetime) -> None:
    until, active = selectors.person_booking_obstacles(id_hmac=id_hmac, service=service, now=now)
    if until is not None:
        raise Restricted(until=timezone.localtime(until).strftime("%Y-%m-%d"))
    if active:
        raise DuplicateBooking()


# The capacity guard, plain SQL (on every booking; the ORM's UPDATE costs more CPU to build).
_PLACE_TAKE_SQL = (
    'UPDATE "appointments_slot" SET "booked" = "booked" + 1 '
    'WHERE "id" = %s AND "booked" < "bookable" AND "is_closed" = %s'
)


def slot_take_place(*, slot_id: int) -> None:
    """Take one place, or raise SlotFull. One statement: no check-then-write race."""
    with connection.cursor() as cursor:
        cursor.execute(_PLACE_TAKE_SQL, [slot_id, False])
        if cursor.rowcount != 1:
            raise SlotFull()


def slot_give_back_place(*, slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


# Insert the day's row or add one, unless the limit is reached: one statement (PostgreSQL and
# SQLite both have ON CONFLICT … DO UPDATE … WHERE … RETURNING).
_QUOTA_TAKE_SQL = (
    'INSERT INTO "appointments_personquota" ("id_number_hmac", "date", "count") '
    "VALUES (%s, %s, 1) "
    'ON CONFLICT ("id_number_hmac", "date") DO UPDATE '
    'SET "count" = "appointments_personquota"."count" + 1 '
    'WHERE "appointments_personquota"."count" < %s '
    'RETURNING "count"'
)


def _take_daily_quota(id_hmac: str, day: dt.date) -> None:
    """Count one more booking of this person on `day`, or raise DailyLimit. The row stays
    locked until the booking commits, so one person's parallel attempts queue up here."""
    limit = settings.BOOKING["DAILY_LIMIT_PER_PERSON"]
    with connection.cursor() as cursor:
        cursor.execute(_QUOTA_TAKE_SQL, [id_hmac, day, limit])
        taken = cursor.fetchone()
    if taken is None or limit < 1:
        raise DailyLimit(limit=limit)


def _release_daily_quota(id_hmac: str, day: dt.date) -> None:
    PersonQuota.objects.filter(id_number_hmac=id_hmac, date=day, count__gt=0).update(
        count=F("count") - 1
    )


def _take_place_or_a_freed_one(slot_id: int, now: dt.datetime) -> None:
    try:
        slot_take_place(slot_id=slot_id)
    except SlotFull:
        # Places whose embargo is over come back now (or go to the waiting list first) rather
        # than at the next run of the release job. Only looked for when needed: one query less
        # on the busy path.
        if not _release_due_places(slot_id=slot_id, now=now):
            raise
        slot_take_place(slot_id=slot_id)


# _release_due_places's question, for one slot: is a place given back by a resident more than
# the embargo ago still to be released?
_DUE_SQL = (
    'SELECT 1 FROM "appointments_booking" d WHERE d."slot_id" = %s AND d."status" = %s '
    'AND d."cancelled_by" = %s AND d."place_released" = %s AND d."cancelled_at" <= %s'
)


def _take_quota_and_place_and_insert(
    booking: Booking, id_hmac: str, day: dt.date, now: dt.datetime
) -> None:
    """_take_daily_quota, _take_place_or_a_freed_one and the booking's INSERT in one statement
    (PostgreSQL: a CTE whose steps each run only if the one before succeeded), with the same
    refusals: DailyLimit, else SlotFull unless a place whose embargo is over comes back."""
    limit = settings.BOOKING["DAILY_LIMIT_PER_PERSON"]
    insert, values = row_insert_select(booking, "s")
    # The project's own statements; every value is a parameter.
    sql = (
        f"WITH q AS ({_QUOTA_TAKE_SQL}), "  # noqa: S608
        f"s AS ({_PLACE_TAKE_SQL} AND EXISTS (SELECT 1 FROM q) RETURNING \"id\"), "
        f"b AS ({insert}) "
        "SELECT (SELECT count(*) FROM q), (SELECT id FROM b), "
        # Only when the slot was full: whether places whose embargo is over can come back.
        f"CASE WHEN NOT EXISTS (SELECT 1 FROM s) THEN EXISTS ({_DUE_SQL}) END"
    )
    cutoff = now - dt.timedelta(minutes=settings.BOOKING["CANCEL_EMBARGO_MINUTES"])
    params = [id_hmac, day, limit, booking.slot_id, False, *values]
    params += [booking.slot_id, BookingStatus.CANCELLED, CancelledBy.RESIDENT, False, cutoff]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        taken, booking_id, due = cursor.fetchone()
    if not taken or limit < 1:
        raise DailyLimit(limit=limit)
    if booking_id is not None:
        row_inserted(booking, booking_id)
        return
    # The slot was full: places whose embargo is over may come back (_take_place_or_a_freed_one).
    if not due or not _release_due_places(slot_id=booking.slot_id, now=now):
        raise SlotFull()
    slot_take_place(slot_id=booking.slot_id)
    row_insert(booking)


@booking_outcome_counted  # onewindow_bookings_total{outcome} (core/metrics.py)
def booking_create(
    *,
    slot_id: int,
    service: Service,
    name: str,
    id_number: str,
    phone: str,
    email: str = "",
    language: str = "zh-hans",
    user: User | None = None,
    api_client: str = "",
    now: dt.datetime | None = None,
    place_already_held: bool = False,
    rescheduled_from: Booking | None = None,
    privacy_notice_version: str = "",
    bundle: Bundle | None = None,
) -> Booking:
    """Book a place, in one transaction. With a `bundle` (一件事, see booking_create_bundle) the
    slot must be one of the bundle's own, long enough for every part. Raises Slot.DoesNotExist
    for an unknown slot and a DomainError for every refusal. The checks' read runs before the
    transaction (each statement sees the latest commits either way, and the writes re-check
    whatever a parallel booking can change): a refusal costs that one statement. The booking's
    insert has no savepoint of its own (two statements fewer on the busy path): when its unique
    indexes refuse it, the transaction rolls back whole and is run again with a fresh code if
    the code was taken (about 1 in 10^12), or ends as a duplicate if the same person's parallel
    booking committed first."""
    id_number = validate_id_number(id_number)
    id_hmac = pii_hmac(id_number)
    if bundle is not None:
        _check_bundle_slot(slot_id, service, bundle)
    now = now or timezone.now()
    slot = _checked_slot(slot_id, service, id_hmac, now, place_already_held, bundle)
    for _attempt in range(5):
        code = booking_code_new()
        try:
            return _book(
                code=code,
                slot=slot,
                service=service,
                name=name,
                id_number=id_number,
                id_hmac=id_hmac,
                phone=phone,
                email=email,
                language=language,
                user=user,
                api_client=api_client,
                now=now,
                place_already_held=place_already_held,
                rescheduled_from=rescheduled_from,
                privacy_notice_version=privacy_notice_version,
                bundle=bundle,
            )
        except IntegrityError:
            if Booking.objects.filter(code=code).exists():
                continue  # a code collision: draw again
            if Booking.objects.filter(
                id_number_hmac=id_hmac, service=service, status=BookingStatus.BOOKED
            ).exists():
                raise DuplicateBooking() from None  # a parallel booking of this person won
            raise  # anything else is a bug, not a message for the resident
    raise RuntimeError("could not draw a free booking code")


def _checked_slot(
    slot_id: int, service: Service, id_hmac: str, now: dt.datetime, place_already_held: bool,
    bundle: Bundle | None,
) -> Slot:
    """The slot, read with every check in one statement (selectors.booking_read), or the
    refusal, in the order of _bookable_slot and _check_person."""
    read = selectors.booking_read(slot_id=slot_id, service=service, id_hmac=id_hmac, now=now)
    slot = read.slot
    if not read.offers_service and bundle is None:  # a bundle's slot: checked before
        raise WrongService()
    refusal = selectors.slot_refusal(slot, service, now=now, closure=read.closure)
    if refusal is not None:
        raise refusal
    if read.restricted_until is not None:
        until = timezone.localtime(read.restricted_until).strftime("%Y-%m-%d")
        raise Restricted(until=until)
    if read.active:
        raise DuplicateBooking()
    if (
        read.places_due is False  # PostgreSQL: the slot was full, and no place can come back
        and read.quota_taken is not None
        and read.quota_taken < settings.BOOKING["DAILY_LIMIT_PER_PERSON"]
        and not place_already_held
    ):
        # What the writes' statement would answer (the quota first, then the place), without
        # building the booking or opening a transaction: most attempts of a rush end here.
        raise SlotFull()
    return slot


@transaction.atomic
def _book(
    *, code: str, slot: Slot, service: Service, id_number: str, id_hmac: str,
    now: dt.datetime, place_already_held: bool, name: str, **fields: Any,
) -> Booking:  # fmt: skip
    booking = Booking(
        code=code,
        slot=slot,
        service=service,
        office=slot.office,
        start=slot.start,
        name=name.strip(),
        id_number_enc=encrypt_text(id_number),
        id_number_hmac=id_hmac,
        id_masked=mask_id_number(id_number),
        **fields,
    )
    day = timezone.localtime(slot.start).date()
    if connection.vendor == "postgresql" and not place_already_held:
        _take_quota_and_place_and_insert(booking, id_hmac, day, now)
    else:
        _take_daily_quota(id_hmac, day)
        if not place_already_held:
            _take_place_or_a_freed_one(slot.pk, now)
        # One plain INSERT (core.rows).
        row_insert(booking)
    # The audit entry (written here rather than by a signal) and the confirmation's outbox row,
    # in one statement on PostgreSQL.
    entry, row = audit_created_entry(booking), booking_event_row(booking, "confirmed")
    if rows_insert((entry, ""), (row, "key"))[1]:
        outbox_row_written(row)
    return booking


def _check_bundle_slot(slot_id: int, service: Service, bundle: Bundle) -> None:
    """A bundle's visit is booked in a slot of a schedule that takes the bundle, long enough
    for all its parts, at an office with a counter serving them all (read before the booking's
    transaction: configuration, not capacity)."""
    slot, _offers = selectors.slot_for_booking(slot_id=slot_id, service=service)
    refusal = selectors.bundle_slot_refusal(slot=slot, bundle=bundle)
    if refusal is not None:
        raise refusal


def booking_create_bundle(*, bundle: Bundle, slot_id: int, **details: Any) -> Booking:
    """Book ONE visit for every part of a 一件事 bundle: one slot, one booking code, one
    confirmation, and at check-in one ticket handled at one counter. The booking names the
    first part as its service (so the one-active-booking rule applies to it) and the bundle.
    Capacity, quotas, duplicates and refusals are booking_create's, under its locks."""
    parts = bundle_parts(bundle)
    if not parts:
        raise BundleNotServed()
    return booking_create(slot_id=slot_id, service=parts[0], bundle=bundle, **details)


@transaction.atomic
def booking_cancel(
    *,
    booking: Booking,
    by: str = CancelledBy.RESIDENT,
    reason: str = "",
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Booking:
    """Cancel. A place the resident gives up returns to the pool only after the embargo
    (against slot trading); a place the office takes away is not returned."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    _check_transition(booking, BookingStatus.CANCELLED)
    if by == CancelledBy.RESIDENT and booking.start <= now:
        raise IllegalTransition()
    before = audit_values(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancel_reason = reason[:200]
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    audit_changed(booking, before)
    _release_daily_quota(booking.id_number_hmac, timezone.localtime(booking.start).date())
    if notify:
        booking_event(booking, "cancelled_by_office" if by == CancelledBy.OFFICE else "cancelled")
    return booking


@transaction.atomic
def booking_reschedule(
    *, booking: Booking, slot_id: int, now: dt.datetime | None = None
) -> Booking:
    """Move to another slot: the new place is taken before the old one is given up, in one
    transaction, so a full slot leaves the old booking untouched."""
    from core.crypto import decrypt_text

    now = now or timezone.now()
    old = Booking.objects.select_for_update().get(pk=booking.pk)
    _check_transition(old, BookingStatus.CANCELLED)
    if old.slot_id == slot_id and old.start > now:
        return old  # already booked there: moving would take a second place
    booking_cancel(
        booking=old, by=CancelledBy.RESIDENT, reason="rescheduled", now=now, notify=False
    )
    return booking_create(
        slot_id=slot_id,
        service=old.service,
        name=old.name,
        id_number=decrypt_text(old.id_number_enc),
        phone=old.phone,
        email=old.email,
        language=old.language,
        user=old.user,
        api_client=old.api_client,
        now=now,
        rescheduled_from=old,
        privacy_notice_version=old.privacy_notice_version,
        bundle=old.bundle,
    )


def _release_due_places(*, slot_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Give back the places of bookings cancelled by residents more than the embargo ago."""
    from .waiting import waiting_offer_place

    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.BOOKING["CANCEL_EMBARGO_MINUTES"])
    due = Booking.objects.filter(
        status=BookingStatus.CANCELLED,
        cancelled_by=CancelledBy.RESIDENT,
        place_released=False,
        cancelled_at__lte=cutoff,
    )
    if slot_id is not None:
        due = due.filter(slot_id=slot_id)
    released = 0
    for booking_id, booked_slot in due.values_list("pk", "slot_id"):
        # The conditional update makes each place come back exactly once, whoever runs this.
        if Booking.objects.filter(pk=booking_id, place_released=False).update(place_released=True):
            if not waiting_offer_place(slot_id=booked_slot, now=now):
                slot_give_back_place(slot_id=booked_slot)
            released += 1
    return released


@transaction.atomic
def slot_release_embargoed_places(*, now: dt.datetime | None = None) -> int:
    return _release_due_places(now=now)
