"""Property test: whatever residents do, in any order, the slot's counter tells the truth.

Random sequences of book / cancel / release / join the waiting list / accept an offer / expire
offers / time passing, on two small slots shared by three services. After every step:
0 <= booked <= bookable; booked == places held by bookings that were not cancelled + cancelled
places still under embargo + places held for a waiting-list offer; nobody holds two active
bookings for one service; and every refusal is one a resident could be told about.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings as django_settings
from django.db.models import Count
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from appointments import actions
from appointments.constants import BookingStatus, WaitStatus
from appointments.errors import (
    AlreadyWaiting,
    DailyLimit,
    DuplicateBooking,
    OfferExpired,
    SlotFull,
)
from appointments.models import Booking, Slot, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.errors import IllegalTransition
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)
DAY = dt.date(2025, 6, 6)  # two days later: inside the window for the whole run
PEOPLE = 5

person = st.integers(1, PEOPLE)
# Booking and cancelling weigh more, so that slots fill up and places come and go.
booking = st.tuples(st.just("book"), person, st.integers(0, 1), st.integers(0, 2))
cancelling = st.tuples(st.just("cancel"), person)
operation = st.one_of(
    booking,
    booking,
    booking,
    cancelling,
    cancelling,
    st.tuples(st.just("release")),
    st.tuples(st.just("wait"), person, st.integers(0, 2)),
    st.tuples(st.just("accept")),
    st.tuples(st.just("expire")),
    st.tuples(st.just("tick"), st.integers(1, 40)),
)
# Short embargo and offer times, so that a run of a few dozen steps sees places released,
# offered, accepted and expired. The rules must hold for any configuration.
RULES = {"CANCEL_EMBARGO_MINUTES": 10, "WAITLIST_OFFER_MINUTES": 15}


class CapacityInvariants(TestCase):
    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(capacity=st.integers(1, 6), operations=st.lists(operation, min_size=15, max_size=45))
    def test_counters_match_the_bookings(self, capacity, operations):
        with self.settings(BOOKING={**django_settings.BOOKING, **RULES}):
            self._run(capacity, operations)

    def _run(self, capacity, operations):
        services = ServiceFactory.create_batch(3)
        schedule = ScheduleFactory(services=services, periods=False)
        self.slots = [
            SlotFactory(
                schedule=schedule,
                start=dt.datetime.combine(DAY, dt.time(10, 30 * i), tzinfo=SHANGHAI),
                capacity=capacity,
                bookable=capacity,
            )
            for i in (0, 1)
        ]
        self.services = services
        self.clock = START
        for op in operations:
            with time_machine.travel(self.clock, tick=False):
                getattr(self, f"_{op[0]}")(*op[1:])
            self._check_invariants()

    # --- operations -----------------------------------------------------------------------------

    def _book(self, who: int, slot_index: int, service_index: int) -> None:
        slot, service = self.slots[slot_index], self.services[service_index]
        try:
            actions.booking_create(
                slot_id=slot.pk,
                service=service,
                name="张三",
                id_number=id_number(who),
                phone="13800138000",
            )
            event("booked")
        except SlotFull:
            event("slot full")
            slot.refresh_from_db()
            assert slot.booked == slot.bookable, "refused as full while a place was free"
        except DuplicateBooking:
            event("duplicate")
            assert self._active(who).filter(service=service).exists()
        except DailyLimit:
            event("daily limit")
            assert self._active(who).count() >= 2

    def _cancel(self, who: int) -> None:
        booking = self._active(who).first()
        if booking is not None:
            actions.booking_cancel(booking=booking)

    def _release(self) -> None:
        if actions.slot_release_embargoed_places(now=self.clock):
            event("released by the job")

    def _wait(self, who: int, service_index: int) -> None:
        try:
            actions.waiting_join(
                office=self.slots[0].office,
                service=self.services[service_index],
                day=DAY,
                name="李四",
                id_number=id_number(who),
                phone="13900139000",
            )
        except AlreadyWaiting:
            event("already waiting")

    def _accept(self) -> None:
        """The first person holding an offer follows the link."""
        entry = WaitingListEntry.objects.filter(status=WaitStatus.OFFERED).first()
        if entry is None:
            return
        try:
            actions.waiting_accept(token=actions.waiting_offer_token(entry), now=self.clock)
            event("offer accepted")
        except (OfferExpired, DuplicateBooking, DailyLimit, IllegalTransition) as refusal:
            event(f"offer refused: {refusal.code}")

    def _expire(self) -> None:
        if actions.waiting_expire_offers(now=self.clock):
            event("offer expired")

    def _tick(self, minutes: int) -> None:
        self.clock += dt.timedelta(minutes=minutes)

    # --- checks ---------------------------------------------------------------------------------

    def _active(self, who: int):
        from core.crypto import pii_hmac

        return Booking.objects.filter(
            id_number_hmac=pii_hmac(id_number(who)), status=BookingStatus.BOOKED
        )

    def _check_invariants(self) -> None:
        for slot in Slot.objects.filter(pk__in=[s.pk for s in self.slots]):
            assert 0 <= slot.booked <= slot.bookable
            bookings = Booking.objects.filter(slot=slot)
            taken = bookings.exclude(status=BookingStatus.CANCELLED).count()
            embargoed = bookings.filter(
                status=BookingStatus.CANCELLED, place_released=False
            ).count()
            offered = WaitingListEntry.objects.filter(
                offered_slot=slot, status=WaitStatus.OFFERED
            ).count()
            assert slot.booked == taken + embargoed + offered, (
                slot.booked,
                taken,
                embargoed,
                offered,
            )
        doubles = (
            Booking.objects.filter(status=BookingStatus.BOOKED)
            .values("id_number_hmac", "service")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not doubles.exists()
