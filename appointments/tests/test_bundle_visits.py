"""一件事 booked as one visit: one slot long enough for every part, at an office with a counter
serving them all, one booking code and one confirmation; the refusals a resident reads."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from appointments import actions
from appointments.constants import BookingStatus
from appointments.errors import BundleNotServed, BundleSlotTooShort, SlotFull, WrongService
from appointments.models import Booking
from appointments.tests.factories import ScheduleFactory, SlotFactory, book, bundle_visit
from core.tests.factories import id_number
from notifications.models import Message

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


def book_bundle(bundle, slot, person=1, **extra):
    return actions.booking_create_bundle(
        bundle=bundle, slot_id=slot.pk, name="张三", id_number=id_number(person),
        phone="13800138000", **extra,
    )


def test_a_bundle_is_one_booking_taking_one_place_for_every_part():
    bundle, parts, slot = bundle_visit(minutes=(20, 10, 10), slot_minutes=45)

    booking = book_bundle(bundle, slot)

    assert booking.bundle == bundle and booking.service == parts[0]
    assert Booking.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_slot_shorter_than_all_parts_is_refused_naming_the_minutes():
    bundle, _parts, slot = bundle_visit(minutes=(20, 10, 10), slot_minutes=30)

    with pytest.raises(BundleSlotTooShort) as refused:
        book_bundle(bundle, slot)

    with translation.override("en"):
        assert "about 40 minutes" in str(refused.value)
    with translation.override("zh-hans"):
        assert "约需 40 分钟" in str(refused.value)
    assert Booking.objects.count() == 0


def test_an_office_without_a_counter_serving_every_part_is_refused():
    bundle, _parts, slot = bundle_visit(counter=False)

    with pytest.raises(BundleNotServed):
        book_bundle(bundle, slot)


def test_a_slot_of_an_ordinary_schedule_is_not_a_bundle_visit():
    bundle, parts, _slot = bundle_visit()
    ordinary = SlotFactory(schedule__office=_slot.office, schedule__services=[parts[0]])

    with pytest.raises(BundleNotServed):
        book_bundle(bundle, ordinary)


def test_a_bundle_slot_is_not_offered_to_a_single_service():
    _bundle, parts, slot = bundle_visit()

    with pytest.raises(WrongService):
        actions.booking_create(
            slot_id=slot.pk, service=parts[0], name="张三", id_number=id_number(1),
            phone="13800138000",
        )
    url = reverse("appointments:book_time", args=[parts[0].code, slot.office.code])
    assert url  # the office takes no ordinary booking of the part: no office page
    from appointments import selectors

    assert not selectors.office_list_bookable(service=parts[0]).filter(pk=slot.office_id)


def test_a_full_bundle_slot_refuses_the_next_resident():
    bundle, _parts, slot = bundle_visit(bookable=1)
    book_bundle(bundle, slot, person=1)

    with pytest.raises(SlotFull):
        book_bundle(bundle, slot, person=2)


def test_cancelling_gives_the_visit_back_like_any_booking():
    bundle, _parts, slot = bundle_visit(bookable=1)
    booking = book_bundle(bundle, slot)

    actions.booking_cancel(booking=booking)

    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_one_confirmation_names_the_bundle_and_every_part(django_capture_on_commit_callbacks):
    bundle, parts, slot = bundle_visit()

    with django_capture_on_commit_callbacks(execute=True):
        book_bundle(bundle, slot)

    sms = Message.objects.filter(channel="sms")
    assert sms.count() == 1
    assert bundle.name_zh in sms.get().body
    assert all(part.name_zh in sms.get().body for part in parts)


def test_the_pages_book_one_visit_and_show_every_part(client):
    bundle, parts, slot = bundle_visit()
    office = slot.office

    offices = client.get(reverse("appointments:bundle_office", args=[bundle.code]))
    times = client.get(reverse("appointments:bundle_time", args=[bundle.code, office.code]))
    details_url = reverse("appointments:bundle_details", args=[bundle.code, office.code, slot.pk])
    done = client.post(details_url, {
        "name": "张三", "id_number": id_number(3), "phone": "13800138000", "email": "",
        "consent": "on", "token": str(uuid.uuid4()),
    }, follow=True)

    assert office.name_zh in offices.content.decode()
    assert reverse("appointments:bundle_time", args=[bundle.code, office.code]) in (
        offices.content.decode()
    )  # the office leads to the bundle's times, not to its first part's
    assert details_url in times.content.decode()
    booking = Booking.objects.get()
    assert booking.bundle == bundle
    page = done.content.decode()
    assert booking.code in page and all(part.name_zh in page for part in parts)


def test_a_full_bundle_visit_answers_in_chinese(client):
    bundle, _parts, slot = bundle_visit(bookable=1)
    book_bundle(bundle, slot, person=1)
    details_url = reverse("appointments:bundle_details", args=[bundle.code, slot.office.code,
                                                               slot.pk])

    page = client.get(details_url)

    assert "已约满" in page.content.decode()


def test_the_catalogue_offers_one_visit_next_to_online(client):
    bundle, _parts, _slot = bundle_visit()

    page = client.get(reverse("services:bundle_detail", args=[bundle.code])).content.decode()

    assert reverse("appointments:bundle_office", args=[bundle.code]) in page


def test_the_catalogue_names_only_the_offices_where_one_visit_can_be_booked(client, api):
    """Offices that handle every part but take no booking for the bundle (no schedule for it,
    slots too short, no counter serving every part) are not offered for one visit: the
    catalogue page, its API and the booking pages name the same offices."""
    from services.tests.factories import CounterFactory, OfficeFactory

    bundle, parts, slot = bundle_visit(minutes=(20, 10, 10))
    no_schedule = OfficeFactory(services=parts)
    CounterFactory(office=no_schedule, services=parts)
    too_short = OfficeFactory(services=parts)
    CounterFactory(office=too_short, services=parts)
    ScheduleFactory(office=too_short, services=[], slot_minutes=30).bundles.add(bundle)
    no_counter = OfficeFactory(services=parts)
    ScheduleFactory(office=no_counter, services=[], slot_minutes=45).bundles.add(bundle)

    page = client.get(reverse("services:bundle_detail", args=[bundle.code])).content.decode()
    listed = api.get(f"/api/v1/bundles/{bundle.code}/").json()["offices"]
    chooser = client.get(reverse("appointments:bundle_office", args=[bundle.code]))

    assert listed == [slot.office.code]
    assert slot.office.name_zh in page
    for office in (no_schedule, too_short, no_counter):
        assert office.name_zh not in page
        assert office.name_zh not in chooser.content.decode()


def test_a_bundle_visit_moves_only_to_another_of_the_bundles_slots():
    bundle, parts, slot = bundle_visit(bookable=2)
    later = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=1),
                        end=slot.end + dt.timedelta(hours=1), capacity=2, bookable=2)
    ordinary = SlotFactory(schedule__office=slot.office, schedule__services=[parts[0]],
                           start=slot.start + dt.timedelta(hours=2))
    booking = book_bundle(bundle, slot)

    with pytest.raises(BundleNotServed):
        actions.booking_reschedule(booking=booking, slot_id=ordinary.pk)
    moved = actions.booking_reschedule(booking=Booking.objects.get(pk=booking.pk),
                                       slot_id=later.pk)

    assert moved.bundle == bundle and moved.slot == later
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_a_closure_of_any_part_cancels_the_visit():
    from appointments.models import Closure

    bundle, parts, slot = bundle_visit()
    booking = book_bundle(bundle, slot)
    day = slot.start.astimezone(SHANGHAI).date()

    actions.closure_save(closure=Closure(office=slot.office, service=parts[2], start_date=day,
                                         end_date=day, reason_zh="系统升级"))

    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_a_day_closed_for_any_part_refuses_the_visit_with_the_reason():
    from appointments.errors import SlotClosed
    from appointments.models import Closure

    bundle, parts, slot = bundle_visit()
    day = slot.start.astimezone(SHANGHAI).date()
    actions.closure_save(closure=Closure(office=slot.office, service=parts[2], start_date=day,
                                         end_date=day, reason_zh="系统升级"))

    with translation.override("zh-hans"), pytest.raises(SlotClosed, match="系统升级"):
        book_bundle(bundle, slot)
    assert Booking.objects.count() == 0


def test_the_admin_refuses_a_schedule_too_short_for_its_bundle(admin_client):
    bundle, _parts, slot = bundle_visit(minutes=(20, 10, 10))
    form = {
        "office": slot.office.pk, "name": "一件事窗口", "bundles": [bundle.pk],
        "slot_minutes": 30, "capacity": 2, "walkin_percent": 0, "release_days_ahead": 7,
        "release_time": "08:00", "close_minutes_before": 60,
        "periods-TOTAL_FORMS": 0, "periods-INITIAL_FORMS": 0,
    }
    url = reverse("admin:appointments_schedule_add")

    short = admin_client.post(url, form)
    empty = admin_client.post(url, {**form, "bundles": [], "slot_minutes": 45})
    made = admin_client.post(url, {**form, "slot_minutes": 45})

    assert "40" in short.context["adminform"].form.errors["slot_minutes"][0]
    assert empty.context["adminform"].form.non_field_errors()
    assert made.status_code == 302
    assert bundle.schedules.filter(name="一件事窗口", slot_minutes=45).exists()


def test_the_statistics_count_bundle_visits_beside_bookings():
    from reports.actions import figures_rebuild
    from reports.selectors import figure_report

    bundle, parts, slot = bundle_visit(minutes=(20, 10, 10), slot_minutes=45)
    ordinary = ScheduleFactory(office=slot.office, services=[parts[0]])
    book(SlotFactory(schedule=ordinary, start=slot.start), person=3)
    book_bundle(bundle, slot, person=1)
    cancelled = book_bundle(bundle, slot, person=2)
    actions.booking_cancel(booking=cancelled)
    day = slot.start.astimezone(SHANGHAI).date()

    figures_rebuild(first=day, last=day)

    total = figure_report(office_ids={slot.office_id}, first=day, last=day).total
    assert (total.bookings, total.cancellations, total.bundle_visits) == (3, 1, 2)
