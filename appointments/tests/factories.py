"""Factories for schedules and slots. Bookings are made through `actions.booking_create` in
tests (the rules under test live there); `past_booking` writes one directly for history such
as no-shows."""

import datetime as dt

import factory
from django.utils import timezone

from appointments.models import Booking, Schedule, SchedulePeriod, Slot
from core.crypto import encrypt_text, pii_hmac
from core.idnumbers import mask_id_number
from core.tests.factories import id_number
from services.tests.factories import OfficeFactory, ServiceFactory


class ScheduleFactory(factory.django.DjangoModelFactory):
    """Mon–Fri 09:00–12:00 in 30-minute slots, 4 places of which 3 bookable (25% walk-in)."""

    class Meta:
        model = Schedule
        skip_postgeneration_save = True

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"预约{n}")
    slot_minutes = 30
    capacity = 4
    walkin_percent = 25
    release_days_ahead = 7
    release_time = dt.time(8, 0)
    close_minutes_before = 60

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if not create:
            return
        services = extracted or [ServiceFactory()]
        self.services.add(*services)
        self.office.services.add(*services)

    @factory.post_generation
    def periods(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        wanted = extracted or [(d, dt.time(9, 0), dt.time(12, 0)) for d in range(5)]
        for weekday, start, end in wanted:
            SchedulePeriod.objects.create(schedule=self, weekday=weekday, start=start, end=end)


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot tomorrow at 10:00 local time (bookable now with the default window)."""

    class Meta:
        model = Slot

    schedule = factory.SubFactory(ScheduleFactory)
    office = factory.SelfAttribute("schedule.office")
    start = factory.LazyFunction(
        lambda: timezone.make_aware(
            dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10, 0))
        )
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=30))
    capacity = 4
    bookable = 3
    booked = 0


def past_booking(*, slot: Slot, id_number: str, status: str, service=None, **extra) -> Booking:
    """A booking written directly (e.g. an old no-show), bypassing the booking rules."""
    return Booking.objects.create(
        code=extra.pop("code", None) or Booking.objects.count().__str__().zfill(8),
        slot=slot, service=service or slot.schedule.services.first(), office=slot.office,
        start=slot.start, name=extra.pop("name", "测试"), id_number_enc=encrypt_text(id_number),
        id_number_hmac=pii_hmac(id_number), id_masked=mask_id_number(id_number),
        phone=extra.pop("phone", "13800138000"), status=status, **extra,
    )


def book(
    slot: Slot, person: int | str = 1, *, service=None, name: str = "张三",
    phone: str = "13800138000", **extra,
) -> Booking:
    """A booking through the booking action, every rule checked: for person `person` (the n-th
    test ID number, core.tests.factories.id_number, or an ID number itself) at `slot`, for the
    first service its schedule offers unless `service` is given. The one `book()` of the tests."""
    from appointments import actions

    return actions.booking_create(
        slot_id=slot.pk,
        service=service or slot.schedule.services.first(),
        name=name,
        id_number=person if isinstance(person, str) else id_number(person),
        phone=phone,
        **extra,
    )


def bundle_visit(
    *, minutes=(20, 10, 10), slot_minutes: int = 45, counter: bool = True, bookable: int = 2,
    start=None,
):
    """A 一件事 bundle of parts taking `minutes` at the counter, an office offering them all
    with (if `counter`) a counter serving them all, and a slot of a schedule taking the bundle
    as one visit (`slot_minutes` long). Returns (bundle, parts, slot)."""
    from services.models import Bundle, BundlePart
    from services.tests.factories import CounterFactory

    parts = [ServiceFactory(counter_minutes=m, materials=1) for m in minutes]
    office = OfficeFactory(services=parts)
    n = office.pk
    bundle = Bundle.objects.create(
        code=f"bundle-{n}", name_zh=f"测试一件事{n}", name_en=f"Test bundle {n}"
    )
    for position, part in enumerate(parts):
        BundlePart.objects.create(bundle=bundle, service=part, position=position)
    if counter:
        CounterFactory(office=office, services=parts)
    schedule = ScheduleFactory(
        office=office, services=[], slot_minutes=slot_minutes, capacity=bookable,
        walkin_percent=0,
    )
    schedule.services.clear()
    schedule.bundles.add(bundle)
    start = start or SlotFactory.start.function()
    slot = SlotFactory(
        schedule=schedule, start=start, end=start + dt.timedelta(minutes=slot_minutes),
        capacity=bookable, bookable=bookable,
    )
    return bundle, parts, slot
