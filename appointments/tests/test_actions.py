"""The booking rules of issue 3: each refusal has its message and changes nothing."""

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from appointments import actions
from appointments.constants import BOOKING_CODE_ALPHABET, BookingStatus, CancelledBy
from appointments.errors import (
    BookingNotFound,
    DailyLimit,
    DuplicateBooking,
    NotYetOpen,
    OutsideWindow,
    Restricted,
    SlotClosed,
    SlotFull,
    WrongService,
)
from appointments.models import Booking, Closure, PersonQuota, Slot, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory, book, past_booking
from core.errors import IllegalTransition
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def at(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A local time `days` days after NOW's date."""
    day = NOW.date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _state() -> tuple:
    return (
        sorted(Booking.objects.values_list("pk", "status")),
        sorted(Slot.objects.values_list("pk", "booked", "bookable")),
        sorted(PersonQuota.objects.values_list("id_number_hmac", "date", "count")),
        WaitingListEntry.objects.count(),
    )


@contextlib.contextmanager
def refused(error: type[Exception], message: str | None = None):
    """The block raises `error` with the English `message` and leaves the database as it was."""
    before = _state()
    with pytest.raises(error) as caught:
        yield caught
    if message is not None:
        with translation.override("en"):
            shown = (
                "; ".join(caught.value.messages) if error is ValidationError else str(caught.value)
            )
        assert shown == message
    assert _state() == before


def refresh(slot: Slot) -> Slot:
    slot.refresh_from_db()
    return slot


# --- booking ------------------------------------------------------------------------------------


def test_a_booking_takes_a_place_and_gets_an_unambiguous_code(slot):
    booking = book(slot, name="  李四 ")

    assert booking.status == BookingStatus.BOOKED and booking.name == "李四"
    assert len(booking.code) == 8 and set(booking.code) <= set(BOOKING_CODE_ALPHABET)
    assert booking.id_masked == "430***********" + id_number(1)[-4:]
    assert id_number(1) not in booking.id_number_enc
    assert booking.start == slot.start and booking.office == slot.office
    assert refresh(slot).booked == 1 and slot.remaining == 2


def test_one_active_booking_per_person_and_service(slot):
    other_day = SlotFactory(schedule=slot.schedule, start=at(2))
    book(slot, 1)

    with refused(
        DuplicateBooking,
        "You already have an active booking for this service. Change or cancel it instead.",
    ):
        book(other_day, 1)
    book(other_day, 2)  # somebody else may


def test_the_same_person_may_book_another_service(slot):
    passport = ServiceFactory()
    slot.schedule.services.add(passport)
    book(slot, 1)
    book(slot, 1, service=passport)
    assert refresh(slot).booked == 2


def test_after_cancelling_the_same_service_can_be_booked_again(slot):
    first = book(slot, 1)
    actions.booking_cancel(booking=first)
    again = book(SlotFactory(schedule=slot.schedule, start=at(1, 11)), 1)
    assert again.status == BookingStatus.BOOKED


def test_daily_limit_per_person(slot, settings):
    services = ServiceFactory.create_batch(3)
    slot.schedule.services.add(*services)
    limit = settings.BOOKING["DAILY_LIMIT_PER_PERSON"]
    assert limit == 2
    book(slot, 1, service=services[0])
    book(slot, 1, service=services[1])

    with refused(DailyLimit, "You have reached the limit of 2 bookings on one day."):
        book(slot, 1, service=services[2])
    # Another day is another day.
    book(SlotFactory(schedule=slot.schedule, start=at(2)), 1, service=services[2])


def test_daily_limit_follows_the_setting_and_cancelling_frees_it(slot, settings):
    settings.BOOKING = {**settings.BOOKING, "DAILY_LIMIT_PER_PERSON": 1}
    passport = ServiceFactory()
    slot.schedule.services.add(passport)
    first = book(slot, 1)
    with refused(DailyLimit, "You have reached the limit of 1 bookings on one day."):
        book(slot, 1, service=passport)

    actions.booking_cancel(booking=first)
    book(slot, 1, service=passport)


def test_a_full_slot_refuses_the_next_resident(slot):
    for person in (1, 2, 3):
        book(slot, person)

    with refused(SlotFull, "This time is fully booked. Please choose another time."):
        book(slot, 4)
    assert refresh(slot).booked == slot.bookable == 3


def test_a_person_at_the_daily_limit_hears_so_even_for_a_full_slot(slot, settings):
    """The quota is checked before the place, also when the read already shows the slot full
    (PostgreSQL answers a full slot from the checks' read alone)."""
    settings.BOOKING = {**settings.BOOKING, "DAILY_LIMIT_PER_PERSON": 1}
    full = SlotFactory(schedule=slot.schedule, start=at(1, 11), bookable=1)
    book(full, 2)
    book(slot, 1)
    passport = ServiceFactory()
    full.schedule.services.add(passport)

    with refused(DailyLimit):
        book(full, 1, service=passport)
    with refused(SlotFull):
        book(full, 3, service=passport)
    assert refresh(full).booked == 1


def test_walk_in_places_are_never_booked_online():
    slot = SlotFactory(start=at(1), capacity=2, bookable=0)
    with refused(SlotFull):
        book(slot, 1)


@pytest.mark.parametrize("scope", ["office", "service", "holiday"])
def test_a_closed_day_is_refused_with_its_reason(slot, scope):
    service = slot.schedule.services.first()
    Closure.objects.create(
        office=None if scope == "holiday" else slot.office,
        service=service if scope == "service" else None,
        start_date=at(1).date(),
        end_date=at(3).date(),
        reason_zh="端午节",
        reason_en="Dragon Boat Festival",
    )
    # The reason is given in the language of the request.
    with (
        translation.override("en"),
        refused(SlotClosed, "The office is closed on this day: Dragon Boat Festival"),
    ):
        book(slot, 1)
    with refused(SlotClosed, "The office is closed on this day: 端午节"):
        book(slot, 1)


def test_a_closed_day_saved_through_closure_save_still_shows_its_reason(slot):
    actions.closure_save(
        closure=Closure(
            office=slot.office,
            start_date=at(1).date(),
            end_date=at(1).date(),
            reason_zh="停电",
            reason_en="Power cut",
        )
    )
    assert refresh(slot).is_closed
    with (
        translation.override("en"),
        refused(SlotClosed, "The office is closed on this day: Power cut"),
    ):
        book(slot, 1)


def test_a_service_closure_leaves_other_services_bookable(slot):
    passport = ServiceFactory()
    slot.schedule.services.add(passport)
    Closure.objects.create(
        office=slot.office,
        service=slot.schedule.services.exclude(pk=passport.pk).first(),
        start_date=at(1).date(),
        end_date=at(1).date(),
        reason_zh="系统升级",
    )
    book(slot, 1, service=passport)


def test_a_past_slot_is_refused():
    past = SlotFactory(start=at(0, 9))
    with refused(OutsideWindow, "Booking for this time has closed."):
        book(past, 1)


def test_booking_closes_the_configured_time_before_the_slot():
    soon = SlotFactory(start=NOW + dt.timedelta(minutes=60))
    later = SlotFactory(start=NOW + dt.timedelta(minutes=61), schedule__close_minutes_before=60)
    with refused(OutsideWindow, "Booking for this time has closed."):
        book(soon, 1)
    book(later, 1)


def test_slots_are_released_seven_days_ahead_at_eight():
    # Thursday 12 June opens on Thursday 5 June at 08:00.
    slot = SlotFactory(start=at(8))
    with (
        time_machine.travel(at(1, 7, 59), tick=False),
        refused(NotYetOpen, "Booking for this time opens at 2025-06-05 08:00."),
    ):
        book(slot, 1)
    with time_machine.travel(at(1, 8, 0), tick=False):
        assert book(slot, 1).status == BookingStatus.BOOKED


def _no_show(schedule, person: int, when: dt.datetime) -> Booking:
    return past_booking(
        slot=SlotFactory(schedule=schedule, start=when),
        id_number=id_number(person),
        status=BookingStatus.NO_SHOW,
    )


def test_three_no_shows_in_90_days_restrict_booking_for_30_days(slot):
    for days_ago in (80, 40, 5):
        _no_show(slot.schedule, 1, at(-days_ago))

    with refused(
        Restricted,
        "After repeated missed appointments, online booking is paused until 2025-06-29.",
    ):
        book(slot, 1)
    book(slot, 2)  # only that person

    later = SlotFactory(schedule=slot.schedule, start=at(26))
    with time_machine.travel(at(25, 9, 59), tick=False), refused(Restricted):
        book(later, 1)
    with time_machine.travel(at(25, 10, 1), tick=False):
        book(later, 1)


def test_two_no_shows_do_not_restrict(slot):
    for days_ago in (40, 5):
        _no_show(slot.schedule, 1, at(-days_ago))
    book(slot, 1)


def test_three_no_shows_spread_over_more_than_90_days_do_not_restrict(slot):
    for days_ago in (100, 50, 5):
        _no_show(slot.schedule, 1, at(-days_ago))
    book(slot, 1)


def test_attended_appointments_do_not_count_as_no_shows(slot):
    for days_ago in (30, 20, 10):
        past_booking(
            slot=SlotFactory(schedule=slot.schedule, start=at(-days_ago)),
            id_number=id_number(1),
            status=BookingStatus.COMPLETED,
        )
    book(slot, 1)


def test_a_slot_of_another_service_is_refused(slot):
    with refused(WrongService, "This time is not for the chosen service."):
        book(slot, 1, service=ServiceFactory())


@pytest.mark.parametrize(
    "number, message",
    [
        ("43010219900517001", "An ID number has 18 characters."),
        (
            id_number(1)[:17] + ("0" if id_number(1)[17] != "0" else "1"),
            "The check character of this ID number is wrong; please check for a typing error.",
        ),
        ("430102199002300016", "The birth date in this ID number is not a real date."),
        ("990102199005170010", "The region code of this ID number does not exist."),
    ],
)
def test_an_invalid_id_number_is_refused(slot, number, message):
    with refused(ValidationError, message):
        actions.booking_create(
            slot_id=slot.pk,
            service=slot.schedule.services.first(),
            name="张三",
            id_number=number,
            phone="13800138000",
        )


def test_a_lowercase_x_and_spaces_in_the_id_number_are_the_same_person():
    # 11010519491231002X is the standard's own example.
    slot = SlotFactory(start=at(1))
    other = SlotFactory(schedule=slot.schedule, start=at(2))
    actions.booking_create(
        slot_id=slot.pk,
        service=slot.schedule.services.first(),
        name="王五",
        id_number="11010519491231002X",
        phone="13800138000",
    )
    with refused(DuplicateBooking):
        actions.booking_create(
            slot_id=other.pk,
            service=slot.schedule.services.first(),
            name="王五",
            id_number=" 110105 19491231002x ",
            phone="13800138000",
        )


# --- finding, cancelling, rescheduling ----------------------------------------------------------


def test_a_resident_finds_a_booking_with_its_code_and_the_last_four_id_characters(slot):
    booking = book(slot, 1)
    found = actions.booking_lookup(
        code=booking.code.lower(), id_last4=id_number(1)[-4:]
    )
    assert found == booking
    with pytest.raises(BookingNotFound):
        actions.booking_lookup(code=booking.code, id_last4="0000")
    with pytest.raises(BookingNotFound):
        actions.booking_lookup(code="ABCDEFGH", id_last4=id_number(1)[-4:])


def test_a_cancelled_place_comes_back_only_after_the_embargo(slot):
    slot.bookable = 1
    slot.save()
    booking = book(slot, 1)

    actions.booking_cancel(booking=booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_by == CancelledBy.RESIDENT
    assert refresh(slot).remaining == 0  # held against slot trading
    with refused(SlotFull):
        book(slot, 2)

    assert actions.slot_release_embargoed_places(now=NOW + dt.timedelta(minutes=29)) == 0
    assert refresh(slot).remaining == 0

    assert actions.slot_release_embargoed_places(now=NOW + dt.timedelta(minutes=31)) == 1
    assert refresh(slot).remaining == 1
    # Exactly once, however often the release runs.
    assert actions.slot_release_embargoed_places(now=NOW + dt.timedelta(minutes=32)) == 0
    assert refresh(slot).booked == 0

    book(slot, 2)
    assert refresh(slot).booked == 1


def test_a_booking_attempt_after_the_embargo_gets_the_freed_place(slot):
    slot.bookable = 1
    slot.save()
    actions.booking_cancel(booking=book(slot, 1))

    with time_machine.travel(NOW + dt.timedelta(minutes=29), tick=False), refused(SlotFull):
        book(slot, 2)
    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        book(slot, 2)
        with refused(SlotFull):
            book(slot, 3)
    assert refresh(slot).booked == 1
    assert actions.slot_release_embargoed_places(now=NOW + dt.timedelta(hours=2)) == 0
    assert refresh(slot).booked == 1


def test_a_booking_cannot_be_cancelled_once_it_started(slot):
    booking = book(slot, 1)
    with (
        time_machine.travel(slot.start + dt.timedelta(minutes=1), tick=False),
        refused(IllegalTransition, "This action is not possible in the current state."),
    ):
        actions.booking_cancel(booking=booking)


def test_a_booking_cannot_be_cancelled_twice(slot):
    booking = book(slot, 1)
    actions.booking_cancel(booking=booking)
    with refused(IllegalTransition):
        actions.booking_cancel(booking=booking)


def test_reschedule_moves_the_booking(slot):
    target = SlotFactory(schedule=slot.schedule, start=at(2, 11))
    old = book(slot, 1)

    new = actions.booking_reschedule(booking=old, slot_id=target.pk)

    old.refresh_from_db()
    assert old.status == BookingStatus.CANCELLED and new.status == BookingStatus.BOOKED
    assert new.rescheduled_from == old and new.slot == target and new.start == target.start
    assert new.id_number_hmac == old.id_number_hmac and new.code != old.code
    assert refresh(target).booked == 1
    assert refresh(slot).booked == 1  # the old place waits out its embargo
    actions.slot_release_embargoed_places(now=NOW + dt.timedelta(minutes=31))
    assert refresh(slot).booked == 0


def test_reschedule_to_the_same_slot_changes_nothing(slot):
    old = book(slot, 1)
    before = _state()
    assert actions.booking_reschedule(booking=old, slot_id=slot.pk) == old
    assert _state() == before and refresh(slot).booked == 1


def test_reschedule_to_a_full_slot_keeps_the_old_booking(slot):
    full = SlotFactory(schedule=slot.schedule, start=at(2), bookable=1)
    book(full, 2)
    old = book(slot, 1)

    with refused(SlotFull):
        actions.booking_reschedule(booking=old, slot_id=full.pk)
    old.refresh_from_db()
    assert old.status == BookingStatus.BOOKED


def test_reschedule_to_a_closed_day_keeps_the_old_booking(slot):
    target = SlotFactory(schedule=slot.schedule, start=at(2))
    Closure.objects.create(
        office=slot.office, start_date=at(2).date(), end_date=at(2).date(), reason_zh="装修"
    )
    old = book(slot, 1)
    with refused(SlotClosed):
        actions.booking_reschedule(booking=old, slot_id=target.pk)


def test_a_started_booking_cannot_be_rescheduled(slot):
    target = SlotFactory(schedule=slot.schedule, start=at(2))
    old = book(slot, 1)
    with (
        time_machine.travel(slot.start + dt.timedelta(minutes=5), tick=False),
        refused(IllegalTransition),
    ):
        actions.booking_reschedule(booking=old, slot_id=target.pk)


def test_closure_over_booked_slots_cancels_those_bookings(slot):
    other_office = SlotFactory(start=at(1))
    bookings = [book(slot, person) for person in (1, 2)]
    elsewhere = book(other_office, 3)

    cancelled = actions.closure_save(
        closure=Closure(
            office=slot.office, start_date=at(1).date(), end_date=at(1).date(), reason_zh="停电"
        )
    )

    assert cancelled == 2
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancelled_by == CancelledBy.OFFICE
        assert booking.cancel_reason == "停电"
    elsewhere.refresh_from_db()
    assert elsewhere.status == BookingStatus.BOOKED
    assert refresh(slot).is_closed and not refresh(other_office).is_closed
    # The residents affected may book another day for the same service.
    book(SlotFactory(schedule=slot.schedule, start=at(2)), 1)


def test_a_public_holiday_cancels_bookings_at_every_office(slot):
    other_office = SlotFactory(start=at(1))
    mine, theirs = book(slot, 1), book(other_office, 2)
    assert (
        actions.closure_save(
            closure=Closure(start_date=at(1).date(), end_date=at(1).date(), reason_zh="端午节")
        )
        == 2
    )
    for booking in (mine, theirs):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED


def test_a_service_closure_cancels_only_that_service_and_frees_the_places(slot):
    passport = ServiceFactory()
    slot.schedule.services.add(passport)
    service = slot.schedule.services.exclude(pk=passport.pk).first()
    closed = book(slot, 1, service=service)
    kept = book(slot, 2, service=passport)

    actions.closure_save(
        closure=Closure(
            office=slot.office,
            service=service,
            start_date=at(1).date(),
            end_date=at(1).date(),
            reason_zh="系统升级",
        )
    )
    closed.refresh_from_db()
    kept.refresh_from_db()
    assert (closed.status, kept.status) == (BookingStatus.CANCELLED, BookingStatus.BOOKED)
    assert refresh(slot).booked == 1 and not slot.is_closed
    book(slot, 3, service=passport)


def test_schedule_group_services_share_the_slot_capacity():
    services = ServiceFactory.create_batch(2)
    slot = SlotFactory(start=at(1), schedule=ScheduleFactory(services=services), bookable=2)
    book(slot, 1, service=services[0])
    book(slot, 2, service=services[1])
    with refused(SlotFull):
        book(slot, 3, service=services[0])
