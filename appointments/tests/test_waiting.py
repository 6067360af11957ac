"""The waiting list: first come, first served, a held place, a link valid for a limited time."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import AuditAction, AuditEntry
from appointments import actions, selectors
from appointments.constants import BookingStatus, WaitStatus
from appointments.errors import AlreadyWaiting, OfferExpired, SlotFull, WaitingEntryNotFound
from appointments.models import Booking, Slot, WaitingListEntry
from appointments.tests.factories import SlotFactory, book
from core.tests.factories import id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
TOMORROW = dt.datetime(2025, 6, 5, 10, 0, tzinfo=SHANGHAI)
AFTER_EMBARGO = NOW + dt.timedelta(minutes=31)


@pytest.fixture
def full_slot() -> Slot:
    """Tomorrow 10:00 with one bookable place, taken by person 1."""
    slot = SlotFactory(start=TOMORROW, bookable=1)
    book(slot, 1)
    return slot


def wait(slot: Slot, person: int) -> WaitingListEntry:
    return actions.waiting_join(
        office=slot.office,
        service=slot.schedule.services.first(),
        day=TOMORROW.date(),
        name=f"候补{person}",
        id_number=id_number(person),
        phone="13900139000",
    )


def booked(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


def free_the_place(slot: Slot) -> None:
    """Person 1 cancels; the release job runs after the embargo."""
    actions.booking_cancel(booking=Booking.objects.get(slot=slot, status=BookingStatus.BOOKED))
    actions.slot_release_embargoed_places(now=AFTER_EMBARGO)


def test_joining_twice_is_refused(full_slot):
    wait(full_slot, 2)
    with pytest.raises(AlreadyWaiting) as caught:
        wait(full_slot, 2)
    with translation.override("en"):
        assert str(caught.value) == "You are already on the waiting list for this day."
    assert WaitingListEntry.objects.count() == 1


def test_joining_with_an_invalid_id_number_is_refused(full_slot):
    with pytest.raises(ValidationError):
        actions.waiting_join(
            office=full_slot.office,
            service=full_slot.schedule.services.first(),
            day=TOMORROW.date(),
            name="候补",
            id_number="430102199005170011",
            phone="139",
        )
    assert not WaitingListEntry.objects.exists()


def test_a_freed_place_is_held_for_the_first_person_waiting(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)

    free_the_place(full_slot)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitStatus.OFFERED and first.offered_slot == full_slot
    assert first.offer_expires_at == AFTER_EMBARGO + dt.timedelta(minutes=120)
    assert second.status == WaitStatus.WAITING
    assert booked(full_slot) == 1  # still full for everybody else
    with time_machine.travel(AFTER_EMBARGO, tick=False), pytest.raises(SlotFull):
        book(full_slot, 9)


def test_the_offer_link_books_the_held_place(full_slot):
    entry = wait(full_slot, 2)
    free_the_place(full_slot)
    entry.refresh_from_db()
    token = actions.waiting_offer_token(entry)

    with time_machine.travel(AFTER_EMBARGO + dt.timedelta(minutes=10), tick=False):
        assert actions.waiting_entry_from_token(token) == entry
        booking = actions.waiting_accept(token=token)
        with pytest.raises(OfferExpired):
            actions.waiting_accept(token=token)  # one link, one booking

    entry.refresh_from_db()
    assert booking.slot == full_slot and booking.id_number_hmac == entry.id_number_hmac
    assert booking.status == BookingStatus.BOOKED and booking.name == "候补2"
    assert entry.status == WaitStatus.BOOKED and entry.booking == booking
    assert booked(full_slot) == 1


def test_an_expired_offer_passes_to_the_next_person_then_back_to_the_pool(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)
    free_the_place(full_slot)
    first.refresh_from_db()
    first_token = actions.waiting_offer_token(first)
    late = first.offer_expires_at + dt.timedelta(minutes=1)

    with time_machine.travel(late, tick=False):
        with pytest.raises(OfferExpired):
            actions.waiting_accept(token=first_token)
        assert actions.waiting_expire_offers(now=late) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitStatus.EXPIRED
    assert second.status == WaitStatus.OFFERED and second.offered_slot == full_slot
    assert booked(full_slot) == 1

    later = second.offer_expires_at + dt.timedelta(minutes=1)
    assert actions.waiting_expire_offers(now=later) == 1
    assert actions.waiting_expire_offers(now=later) == 0
    assert booked(full_slot) == 0  # nobody else waits: back to the pool
    with time_machine.travel(later, tick=False):
        book(full_slot, 9)
        with pytest.raises(OfferExpired):
            actions.waiting_accept(token=first_token)
    assert booked(full_slot) == 1


def test_a_tampered_token_is_refused(full_slot):
    entry = wait(full_slot, 2)
    free_the_place(full_slot)
    entry.refresh_from_db()
    token = actions.waiting_offer_token(entry)

    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", ""):
        with pytest.raises(OfferExpired) as caught:
            actions.waiting_accept(token=bad)
        with translation.override("en"):
            assert str(caught.value) == "This offer has expired or was already used."
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 0
    assert booked(full_slot) == 1


def test_an_offer_for_another_entry_cannot_be_forged_from_a_valid_token(full_slot):
    wait(full_slot, 2)
    second = wait(full_slot, 3)
    free_the_place(full_slot)
    # A token for the second entry (not offered anything) is worthless.
    second.offered_slot = full_slot
    with pytest.raises(OfferExpired):
        actions.waiting_accept(token=actions.waiting_offer_token(second))
    second.refresh_from_db()
    assert second.status == WaitStatus.WAITING


def test_nobody_waiting_means_the_place_goes_back_to_the_pool(full_slot):
    free_the_place(full_slot)
    assert booked(full_slot) == 0


def test_somebody_who_booked_the_service_meanwhile_is_skipped(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)
    book(SlotFactory(schedule=full_slot.schedule, start=TOMORROW + dt.timedelta(hours=1)), 2)

    free_the_place(full_slot)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WaitStatus.WAITING, WaitStatus.OFFERED)


def test_an_offer_lasts_at_most_until_booking_closes(full_slot):
    entry = wait(full_slot, 2)
    actions.booking_cancel(booking=Booking.objects.get(slot=full_slot))
    # 08:00 on the day: booking closes at 09:00 (an hour before the 10:00 slot).
    morning = TOMORROW - dt.timedelta(hours=2)
    actions.slot_release_embargoed_places(now=morning)

    entry.refresh_from_db()
    assert entry.offer_expires_at == TOMORROW - dt.timedelta(hours=1)
    with time_machine.travel(morning + dt.timedelta(minutes=30), tick=False):
        assert actions.waiting_accept(token=actions.waiting_offer_token(entry)).slot == full_slot


def test_no_offer_once_booking_has_closed(full_slot):
    entry = wait(full_slot, 2)
    actions.booking_cancel(booking=Booking.objects.get(slot=full_slot))
    actions.slot_release_embargoed_places(now=TOMORROW - dt.timedelta(minutes=30))

    entry.refresh_from_db()
    assert entry.status == WaitStatus.WAITING
    assert booked(full_slot) == 0


def test_a_closed_slot_is_not_offered(full_slot):
    entry = wait(full_slot, 2)
    actions.booking_cancel(booking=Booking.objects.get(slot=full_slot))
    Slot.objects.filter(pk=full_slot.pk).update(is_closed=True)
    actions.slot_release_embargoed_places(now=AFTER_EMBARGO)

    entry.refresh_from_db()
    assert entry.status == WaitStatus.WAITING


def test_joining_gives_a_reference_a_position_and_a_link_without_the_id_number(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)
    assert re.fullmatch(r"W[2-9A-HJ-NP-Z]{7}", first.reference)
    assert first.reference != second.reference
    assert [selectors.waiting_position(e) for e in (first, second)] == [1, 2]
    token = actions.waiting_manage_token(second)
    assert id_number(3) not in token and id_number(3)[-6:] not in token
    assert actions.waiting_entry_from_manage_token(token) == second


def test_a_forged_or_offer_token_does_not_open_anybody_s_place(full_slot):
    entry = wait(full_slot, 2)
    for token in ("forged", entry.reference, actions.waiting_offer_token(entry)):
        with pytest.raises(WaitingEntryNotFound):
            actions.waiting_entry_from_manage_token(token)
        with pytest.raises(WaitingEntryNotFound):
            actions.waiting_leave(token=token)
    entry.refresh_from_db()
    assert entry.status == WaitStatus.WAITING


def test_leaving_moves_the_others_up_is_audited_and_harmless_twice(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)
    token = actions.waiting_manage_token(first)
    actions.waiting_leave(token=token)
    actions.waiting_leave(token=token)
    first.refresh_from_db()
    assert first.status == WaitStatus.CANCELLED and first.left_at == NOW
    assert selectors.waiting_position(first) is None
    assert selectors.waiting_position(second) == 1
    (audit,) = AuditEntry.objects.filter(
        object_type="appointments.waitinglistentry", object_id=str(first.pk),
        action=AuditAction.STATUS_CHANGE,
    )
    assert audit.details["changes"]["status"] == ["waiting", "cancelled"]
    free_the_place(full_slot)  # the place goes to the person still waiting
    second.refresh_from_db()
    assert second.status == WaitStatus.OFFERED


def test_leaving_while_a_place_is_held_passes_it_on_or_back_to_the_pool(full_slot):
    first, second = wait(full_slot, 2), wait(full_slot, 3)
    free_the_place(full_slot)
    actions.waiting_leave(token=actions.waiting_manage_token(first))
    second.refresh_from_db()
    assert second.status == WaitStatus.OFFERED and second.offered_slot == full_slot
    actions.waiting_leave(token=actions.waiting_manage_token(second))
    assert booked(full_slot) == 0  # nobody else waits: the place is bookable again
    book(full_slot, 9)
