"""Retention of bookings (settings.RETENTION): 180 days after the visit the personal data goes,
the figures the statistics need stay, and the resident's export and deletion agree with it."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import AuditAction, AuditEntry, ResidentProfile
from appointments import actions, tasks
from appointments.constants import BookingStatus
from appointments.models import Booking, PersonQuota, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory
from appointments.tests.factories import book as book_for
from core.crypto import pii_hmac
from core.idnumbers import mask_id_number
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKED_ON = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
VISIT = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
PASSWORD = "Lantern-river-42"


@pytest.fixture
def slot():
    schedule = ScheduleFactory(services=[ServiceFactory()])
    return SlotFactory(schedule=schedule, start=VISIT, capacity=20, bookable=20)


def book(slot, n: int, *, user=None) -> Booking:
    with time_machine.travel(BOOKED_ON, tick=False):
        return book_for(
            slot, n, name="王五", phone="13700137000", email="wang@example.com", user=user
        )


def retention_run(days_after_visit: float) -> dict:
    with time_machine.travel(VISIT + dt.timedelta(days=days_after_visit), tick=False):
        return tasks.retention_apply()


def resident(phone: str, n: int):
    user = get_user_model().objects.create_user(username=phone, phone=phone, password=PASSWORD)
    ResidentProfile.objects.create(
        user=user,
        verified_phone=phone,
        id_number_hmac=pii_hmac(id_number(n)),
        id_masked=mask_id_number(id_number(n)),
    )
    return user


def test_a_booking_keeps_its_personal_data_for_180_days_after_the_visit(slot):
    booking = book(slot, 1)
    assert retention_run(179.9)["bookings_anonymised"] == 0
    booking.refresh_from_db()
    assert (booking.name, booking.phone, booking.anonymised_at) == ("王五", "13700137000", None)


def test_after_180_days_who_it_was_is_gone_and_what_happened_stays(slot):
    booking = book(slot, 1)
    before = Booking.objects.values(
        "code", "office_id", "service_id", "slot_id", "start", "status", "created_at"
    ).get(pk=booking.pk)

    assert retention_run(181)["bookings_anonymised"] == 1

    booking.refresh_from_db()
    assert booking.name == "已匿名"
    assert (booking.phone, booking.email, booking.id_number_enc, booking.id_masked) == ("",) * 4
    assert booking.id_number_hmac == f"anon:{booking.pk}"
    assert booking.user is None and booking.anonymised_at is not None
    after = Booking.objects.values(*before).get(pk=booking.pk)
    assert after == before  # office, service, slot, times, status: the statistics' figures
    assert not Booking.objects.filter(id_number_hmac=pii_hmac(id_number(1))).exists()
    assert not PersonQuota.objects.exists()  # the daily counters of that day went too


def test_anonymising_is_idempotent_batched_and_audited(slot, settings):
    settings.RETENTION = {**settings.RETENTION, "BATCH_SIZE": 2}
    for n in range(1, 6):
        book(slot, n)
    assert retention_run(181)["bookings_anonymised"] == 5
    assert retention_run(182)["bookings_anonymised"] == 0
    entries = AuditEntry.objects.filter(
        action=AuditAction.ANONYMISE, object_type="appointments.booking"
    )
    assert sorted(e.details["count"] for e in entries) == [1, 2, 2]  # one entry per batch
    call_command("verify_audit")  # the chain still verifies (exits 0)


def test_a_booking_still_booked_long_after_its_day_is_anonymised_too(slot):
    first = book(slot, 1)
    other_slot = SlotFactory(schedule=slot.schedule, start=VISIT + dt.timedelta(hours=1))
    with time_machine.travel(BOOKED_ON, tick=False):
        second = actions.booking_create(
            slot_id=other_slot.pk,
            service=slot.schedule.services.first(),
            name="王五",
            id_number=id_number(2),
            phone="13700137000",
        )
    assert {first.status, second.status} == {BookingStatus.BOOKED}
    # Two "booked" rows, each its own anonymous digest: the one-active-booking index holds.
    assert retention_run(181)["bookings_anonymised"] == 2


def test_waiting_list_entries_of_past_days_are_anonymised(slot):
    entry = WaitingListEntry.objects.create(
        office=slot.office,
        service=slot.schedule.services.first(),
        date=VISIT.date(),
        name="赵六",
        id_number_enc="x",
        id_number_hmac=pii_hmac(id_number(3)),
        id_masked=mask_id_number(id_number(3)),
        phone="13600136000",
    )
    assert retention_run(181)["waiting_entries_anonymised"] == 1
    entry.refresh_from_db()
    assert (entry.name, entry.phone, entry.id_masked, entry.id_number_enc) == ("已匿名", "", "", "")
    assert entry.date == VISIT.date()


def test_the_data_export_no_longer_lists_an_anonymised_booking_as_theirs(client, slot):
    user = resident("13912345678", 1)
    old = book(slot, 1, user=user)
    recent_slot = SlotFactory(schedule=slot.schedule, start=VISIT + dt.timedelta(days=100))
    with time_machine.travel(VISIT + dt.timedelta(days=99), tick=False):
        recent = actions.booking_create(
            slot_id=recent_slot.pk,
            service=slot.schedule.services.first(),
            name="孩子",
            id_number=id_number(4),
            phone="13700137000",
            user=user,
        )
    retention_run(181)

    client.force_login(user)
    with time_machine.travel(VISIT + dt.timedelta(days=181), tick=False):
        data = json.loads(client.post("/zh-hans/account/data/").content)
    assert [b["code"] for b in data["bookings"]] == [recent.code]
    assert old.code not in json.dumps(data)


def test_deleting_the_account_after_anonymising_works(client, slot):
    user = resident("13912345678", 1)
    old = book(slot, 1, user=user)
    retention_run(181)
    client.force_login(user)
    with time_machine.travel(VISIT + dt.timedelta(days=182), tick=False):
        response = client.post("/zh-hans/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    old.refresh_from_db()
    assert old.name == "已匿名" and old.user is None
    call_command("verify_audit")  # the chain still verifies (exits 0)


def stored_pdfs(code: str) -> list[str]:
    from core.uploads import private_storage

    try:
        return private_storage.listdir(f"printouts/bookings/{code}")[1]
    except FileNotFoundError:
        return []


def store_confirmation(booking: Booking) -> None:
    from appointments.printouts import booking_pdf_stored

    with time_machine.travel(BOOKED_ON, tick=False):
        booking_pdf_stored(Booking.objects.get(pk=booking.pk))
    assert stored_pdfs(booking.code)


def test_the_stored_confirmation_pdf_goes_with_the_personal_data(
    slot, django_capture_on_commit_callbacks
):
    booking, kept = book(slot, 1), book(slot, 2)
    store_confirmation(booking)
    store_confirmation(kept)
    Booking.objects.filter(pk=kept.pk).update(start=VISIT + dt.timedelta(days=30))

    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run(181)["bookings_anonymised"] == 1

    assert stored_pdfs(booking.code) == []
    assert stored_pdfs(kept.code)  # not yet due: still served from its copy


def test_deleting_the_account_deletes_the_stored_confirmation_pdfs(
    client, slot, django_capture_on_commit_callbacks
):
    from accounts.actions import resident_delete

    user = resident("13912345678", 1)
    booking = book(slot, 1, user=user)
    store_confirmation(booking)
    with django_capture_on_commit_callbacks(execute=True):
        resident_delete(user=user)
    assert stored_pdfs(booking.code) == []
