"""Materialising slots from schedules, and closures that take days out of them."""

import datetime as dt
from collections.abc import Collection

from django.db import transaction
from django.db.models import F, PositiveSmallIntegerField, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.actions import audit_changed, audit_created, audit_deleted, audit_values
from core.workdays import is_statutory_holiday, is_working_day
from services.models import BundlePart

from ..constants import BookingStatus, CancelledBy
from ..models import Booking, Closure, MakeUpWorkingDay, Schedule, Slot


def _timetable_weekday(schedule: Schedule, day: dt.date, make_up: Collection[dt.date]) -> int:
    """The weekday whose periods apply on `day`. A Saturday or Sunday worked in exchange for a
    holiday (调休) runs the schedule's first weekday with periods, Monday to Friday: the arrangement
    says the day is worked, not as which weekday. Any other day runs its own periods."""
    if day.weekday() < 5 or not is_working_day(day, workdays=make_up):
        return day.weekday()
    weekdays = sorted(p.weekday for p in schedule.periods.all() if p.weekday < 5)
    return weekdays[0] if weekdays else day.weekday()


def _expected_starts(
    schedule: Schedule, day: dt.date, make_up: Collection[dt.date] = ()
) -> list[tuple[dt.datetime, dt.datetime]]:
    if (schedule.valid_from and day < schedule.valid_from) or (
        schedule.valid_until and day > schedule.valid_until
    ):
        return []
    # No slots on a statutory holiday, even at an office open on Saturdays (2026-10-03).
    if is_statutory_holiday(day) and day not in make_up:
        return []
    weekday = _timetable_weekday(schedule, day, make_up)
    step = dt.timedelta(minutes=schedule.slot_minutes)
    result = []
    for period in schedule.periods.all():
        if period.weekday != weekday:
            continue
        start = timezone.make_aware(dt.datetime.combine(day, period.start))
        end_of_period = timezone.make_aware(dt.datetime.combine(day, period.end))
        while start + step <= end_of_period:
            result.append((start, start + step))
            start += step
    return result


def _office_closed(schedule: Schedule, day: dt.date, closures: list[Closure]) -> bool:
    return any(
        c.start_date <= day <= c.end_date
        and c.service_id is None
        and (c.office_id is None or c.office_id == schedule.office_id)
        for c in closures
    )


@transaction.atomic
def slot_generate_for_schedule(*, schedule: Schedule, first: dt.date, days: int) -> dict[str, int]:
    """Create the missing slots of `days` days from `first`; update capacities; remove slots the
    schedule no longer has, unless someone booked them. Running it twice changes nothing."""
    last = first + dt.timedelta(days=days - 1)
    closures = list(
        Closure.objects.filter(
            Q(office__isnull=True) | Q(office=schedule.office_id),
            start_date__lte=last,
            end_date__gte=first,
        )
    )
    make_up = set(
        MakeUpWorkingDay.objects.filter(date__gte=first, date__lte=last).values_list(
            "date", flat=True
        )
    )
    existing = {
        s.start: s
        for s in Slot.objects.filter(
            schedule=schedule,
            start__date__gte=first - dt.timedelta(days=1),
            start__date__lte=last + dt.timedelta(days=1),
        )
    }
    stats = {"created": 0, "updated": 0, "deleted": 0}
    wanted: set[dt.datetime] = set()
    new = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if not schedule.is_active or _office_closed(schedule, day, closures):
            continue
        for start, end in _expected_starts(schedule, day, make_up):
            wanted.add(start)
            slot = existing.get(start)
            if slot is None:
                new.append(
                    Slot(
                        schedule=schedule,
                        office_id=schedule.office_id,
                        start=start,
                        end=end,
                        capacity=schedule.capacity,
                        bookable=schedule.bookable_per_slot,
                    )
                )
            elif (slot.capacity, slot.bookable) != _capacity_for(schedule, slot):
                _set_capacity(schedule, slot.pk)
                stats["updated"] += 1
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    stats["created"] = len(new)
    stats["deleted"] = _delete_unwanted(schedule, existing, wanted, first, last)
    return stats


def _capacity_for(schedule: Schedule, slot: Slot) -> tuple[int, int]:
    # Never below what is already taken: lowering capacity must not invalidate bookings.
    bookable = max(schedule.bookable_per_slot, slot.booked)
    return max(schedule.capacity, bookable), bookable


def _set_capacity(schedule: Schedule, slot_id: int) -> None:
    # Compared in the UPDATE itself: a booking may take a place after the slot was read, and
    # `bookable` must never drop below `booked` (the CHECK constraint would fail the whole run).
    small = PositiveSmallIntegerField()
    Slot.objects.filter(pk=slot_id).update(
        bookable=Greatest(Value(schedule.bookable_per_slot), F("booked"), output_field=small),
        capacity=Greatest(Value(schedule.capacity), F("booked"), output_field=small),
    )


def _delete_unwanted(
    schedule: Schedule,
    existing: dict[dt.datetime, Slot],
    wanted: Collection[dt.datetime],
    first: dt.date,
    last: dt.date,
) -> int:
    stale = [
        s.pk
        for start, s in existing.items()
        if start not in wanted
        and first <= timezone.localtime(start).date() <= last
        and s.start > timezone.now()
    ]
    if not stale:
        return 0
    # Locked first, so no booking can take a place between the check and the delete.
    deletable = list(
        Slot.objects.select_for_update()
        .filter(pk__in=stale, booked=0)
        .exclude(pk__in=Booking.objects.filter(slot_id__in=stale).values("slot_id"))
        .values_list("pk", flat=True)
    )
    if not deletable:
        return 0
    for slot in Slot.objects.filter(pk__in=deletable):
        audit_deleted(slot)
    return Slot.objects.filter(pk__in=deletable).delete()[1].get(Slot._meta.label, 0)


def slot_generate(*, days: int, first: dt.date | None = None) -> dict[str, int]:
    first = first or timezone.localdate()
    totals = {"created": 0, "updated": 0, "deleted": 0}
    for schedule in Schedule.objects.filter(is_active=True).prefetch_related("periods"):
        horizon = max(days, schedule.release_days_ahead + 1)
        for key, value in slot_generate_for_schedule(
            schedule=schedule, first=first, days=horizon
        ).items():
            totals[key] += value
    return totals


@transaction.atomic
def closure_apply(*, closure: Closure) -> int:
    """Close the affected slots and cancel their bookings; each resident is told and invited to
    rebook. Returns the number of bookings cancelled."""
    from .booking import booking_cancel

    first = timezone.make_aware(dt.datetime.combine(closure.start_date, dt.time.min))
    last = timezone.make_aware(
        dt.datetime.combine(closure.end_date + dt.timedelta(days=1), dt.time.min)
    )
    slots = Slot.objects.filter(start__gte=first, start__lt=last)
    if closure.office_id:
        slots = slots.filter(office_id=closure.office_id)
    if closure.service_id is None:
        slots.update(is_closed=True)
    bookings = Booking.objects.filter(slot__in=slots, status=BookingStatus.BOOKED)
    if closure.service_id:
        # A 一件事 visit cannot happen without any of its parts.
        bundles = BundlePart.objects.filter(service_id=closure.service_id).values("bundle_id")
        bookings = bookings.filter(
            Q(service_id=closure.service_id) | Q(bundle_id__in=bundles)
        )
    count = 0
    for booking in bookings:
        booking_cancel(booking=booking, by=CancelledBy.OFFICE, reason=closure.reason_zh)
        if closure.service_id:
            _give_back_service_closure_place(booking)
        count += 1
    return count


def _give_back_service_closure_place(booking: Booking) -> None:
    # A closure of one service frees the place for the schedule's other services.
    from .booking import slot_give_back_place

    if Booking.objects.filter(pk=booking.pk, place_released=False).update(place_released=True):
        slot_give_back_place(slot_id=booking.slot_id)


@transaction.atomic
def closure_save(*, closure: Closure) -> int:
    closure.full_clean()
    stored = Closure.objects.filter(pk=closure.pk).first() if closure.pk else None
    closure.save()
    if stored is None:
        audit_created(closure)
    else:
        audit_changed(closure, audit_values(stored))
    return closure_apply(closure=closure)
