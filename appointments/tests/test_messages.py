"""What the resident receives: SMS and e-mail on booking, cancellation, closure, the day before,
and when a waiting-list place frees up. Notifications run after commit through Celery (eager in
tests), so each action here runs inside django_capture_on_commit_callbacks(execute=True)."""

import datetime as dt
import io
import threading
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.utils.module_loading import import_string
from icalendar import Calendar

from appointments import actions
from appointments.constants import BookingStatus, WaitStatus
from appointments.messages import booking_message_send, booking_reminders_send
from appointments.models import Booking, Closure
from appointments.tests.factories import ScheduleFactory, SlotFactory
from appointments.tests.factories import book as book_for
from core.tests.factories import id_number
from notifications.actions import message_send
from notifications.models import Message, MessageStatus
from services.tests.factories import OfficeFactory, ServiceFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
pytestmark = pytest.mark.usefixtures("clock")  # frozen at NOW (conftest.py)
TOMORROW_10 = dt.datetime(2025, 6, 5, 10, 0, tzinfo=SHANGHAI)
PHONE = "13812345678"


def sms_outbox() -> list[dict[str, str]]:
    """What the SMS backend of the tests (LocmemSMSBackend, see conftest.py) has sent."""
    return import_string(settings.SMS_BACKEND).outbox


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms_outbox().clear()  # a class attribute: it outlives each test


@pytest.fixture
def service(db):
    return ServiceFactory(
        code="passport",
        name_zh="普通护照申领",
        name_en="Passport application",
        materials=[
            {"name_zh": "居民身份证", "name_en": "Resident ID card"},
            {"name_zh": "近期免冠彩色照片", "name_en": "Recent colour photo"},
        ],
    )


@pytest.fixture
def office(db):
    return OfficeFactory(name_zh="星城市出入境服务大厅", name_en="Xingcheng Exit-Entry Hall")


def slot_at(service, office, start=TOMORROW_10, **extra):
    schedule = ScheduleFactory(office=office, services=[service])
    return SlotFactory(schedule=schedule, start=start, **extra)


def book(slot, service, *, person=1, language="zh-hans", email="resident@example.com"):
    return book_for(
        slot, person, service=service, phone=PHONE, email=email, language=language
    )


def sms_texts() -> list[str]:
    return [m["text"] for m in sms_outbox()]


def attachments(message) -> dict[str, tuple[bytes, str]]:
    return {name: (content, mimetype) for name, content, mimetype in message.attachments}


def as_bytes(content) -> bytes:
    return content.encode() if isinstance(content, str) else content


@pytest.mark.django_db
def test_a_booking_in_chinese_sends_one_sms_and_one_email_with_pdf_and_ics(
    service, office, django_capture_on_commit_callbacks
):
    slot = slot_at(service, office)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot, service)

    assert sms_outbox() == [{"phone": PHONE, "text": sms_texts()[0]}]
    sms = sms_texts()[0]
    assert booking.code in sms and "普通护照申领" in sms and "星城市出入境服务大厅" in sms
    assert "2025年6月5日" in sms and "星期四" in sms and "10:00" in sms
    assert "Passport application" not in sms

    (email,) = mail.outbox
    assert email.to == ["resident@example.com"]
    assert booking.code in email.body and "星期四" in email.body
    assert "近期免冠彩色照片" in email.body  # what to bring
    assert f"{settings.SITE_URL}/zh-hans/book/manage/" in email.body
    files = attachments(email)
    assert set(files) == {f"booking-{booking.code}.pdf", f"booking-{booking.code}.ics"}
    pdf, mimetype = files[f"booking-{booking.code}.pdf"]
    assert mimetype == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert booking.code in "".join(text.split())
    ics, mimetype = files[f"booking-{booking.code}.ics"]
    assert mimetype == "text/calendar"
    (event,) = Calendar.from_ical(as_bytes(ics)).walk("VEVENT")
    assert str(event["UID"]) == f"{booking.code}@onewindow"

    assert set(Message.objects.values_list("channel", "kind", "ref", "status")) == {
        ("sms", "confirmed", booking.code, MessageStatus.SENT),
        ("email", "confirmed", booking.code, MessageStatus.SENT),
    }


@pytest.mark.django_db
def test_the_emailed_confirmation_is_the_copy_the_resident_then_downloads(
    client, service, office, django_capture_on_commit_callbacks
):
    from appointments.printouts import booking_pdf_stored

    slot = slot_at(service, office)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot, service)
    (email,) = mail.outbox
    emailed = attachments(email)[f"booking-{booking.code}.pdf"][0]
    booking = Booking.objects.get(pk=booking.pk)
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        # A render now would say "issued at 12:00"; the download is the copy of 10:00.
        assert booking_pdf_stored(booking) == emailed


@pytest.mark.django_db
def test_a_booking_in_english_gets_english_messages(
    service, office, django_capture_on_commit_callbacks
):
    slot = slot_at(service, office)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot, service, language="en")

    (sms,) = sms_texts()
    assert "Appointment booked" in sms and booking.code in sms
    assert "Passport application" in sms and "Xingcheng Exit-Entry Hall" in sms
    assert "Thursday" in sms and "普通护照申领" not in sms
    (email,) = mail.outbox
    assert email.subject.startswith("Appointment confirmed: Passport application")
    assert "Recent colour photo" in email.body
    assert f"{settings.SITE_URL}/en/book/manage/" in email.body
    assert len(email.attachments) == 2


@pytest.mark.django_db
def test_without_an_email_address_only_the_sms_goes_out(
    service, office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(slot_at(service, office), service, email="")

    assert len(sms_texts()) == 1 and mail.outbox == []


@pytest.mark.django_db
def test_text_is_not_html_escaped(service, office, django_capture_on_commit_callbacks):
    service.name_en = "Visa & residence <permit>"
    service.save()
    with django_capture_on_commit_callbacks(execute=True):
        book(slot_at(service, office), service, language="en")

    assert "Visa & residence <permit>" in sms_texts()[0]
    assert "Visa & residence <permit>" in mail.outbox[0].body


@pytest.mark.django_db
def test_cancelling_sends_a_cancellation_with_the_calendar_cancel(
    service, office, django_capture_on_commit_callbacks
):
    booking = book(slot_at(service, office), service, language="en")  # no callbacks: silent

    with django_capture_on_commit_callbacks(execute=True):
        actions.booking_cancel(booking=booking)

    (sms,) = sms_texts()
    assert booking.code in sms and "cancelled" in sms
    (email,) = mail.outbox
    assert email.subject == f"Appointment cancelled: {booking.code}"
    (ics,) = [content for name, content, _type in email.attachments if name.endswith(".ics")]
    calendar = Calendar.from_ical(as_bytes(ics))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert not [name for name, _c, _t in email.attachments if name.endswith(".pdf")]


@pytest.mark.django_db
def test_rescheduling_confirms_the_new_booking(service, office, django_capture_on_commit_callbacks):
    first = slot_at(service, office)
    later = SlotFactory(schedule=first.schedule, start=TOMORROW_10 + dt.timedelta(hours=1))
    booking = book(first, service, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        new = actions.booking_reschedule(booking=booking, slot_id=later.pk)

    (sms,) = sms_texts()
    assert new.code in sms and "11:00" in sms and "changed" in sms
    (email,) = mail.outbox
    assert booking.code in email.body  # the earlier booking, now cancelled
    assert Message.objects.filter(ref=new.code, kind="confirmed").count() == 2
    assert not Message.objects.filter(ref=booking.code).exists()


@pytest.mark.django_db
def test_a_closure_over_a_booked_slot_cancels_it_and_offers_a_rebook_link(
    service, office, django_capture_on_commit_callbacks
):
    booking = book(slot_at(service, office), service, language="en")
    closure = Closure(
        office=office,
        start_date=TOMORROW_10.date(),
        end_date=TOMORROW_10.date(),
        reason_zh="系统升级",
        reason_en="system upgrade",
    )

    with django_capture_on_commit_callbacks(execute=True):
        actions.closure_save(closure=closure)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    rebook = f"{settings.SITE_URL}/en/book/passport/"
    (sms,) = sms_texts()
    assert booking.code in sms and rebook in sms and "system upgrade" in sms
    (email,) = mail.outbox
    assert rebook in email.body and "system upgrade" in email.body
    assert Message.objects.get(channel="sms").kind == "cancelled_by_office"


@pytest.mark.django_db
def test_a_freed_place_is_offered_to_the_first_person_waiting_with_a_link(
    service, office, django_capture_on_commit_callbacks
):
    slot = slot_at(service, office, bookable=1)
    booking = book(slot, service)
    entry = actions.waiting_join(
        office=office,
        service=service,
        day=TOMORROW_10.date(),
        name="李四",
        id_number=id_number(2),
        phone="13900001111",
        email="wait@example.com",
        language="en",
    )
    actions.booking_cancel(booking=booking)

    with django_capture_on_commit_callbacks(execute=True):
        actions.slot_release_embargoed_places(now=NOW + dt.timedelta(minutes=31))

    entry.refresh_from_db()
    assert entry.status == WaitStatus.OFFERED
    (offer,) = [m for m in sms_outbox() if m["phone"] == "13900001111"]
    token = actions.waiting_offer_token(entry)
    assert f"{settings.SITE_URL}/en/book/offer/{token}/" in offer["text"]
    assert "12:31" in offer["text"]  # held for 120 minutes after the release at 10:31
    (email,) = [e for e in mail.outbox if e.to == ["wait@example.com"]]
    assert token in email.body and "Passport application" in email.body
    # The link works: it books the held place.
    assert actions.waiting_entry_from_token(token) == entry


def booked_tomorrow_and_later(service, office) -> tuple[list[Booking], Booking]:
    tomorrow = [
        book(slot_at(service, office), service, person=1),
        book(
            slot_at(service, office, TOMORROW_10 + dt.timedelta(hours=5)),
            service,
            person=2,
            language="en",
        ),
    ]
    cancelled = book(slot_at(service, office), service, person=3)
    actions.booking_cancel(booking=cancelled)
    later = book(slot_at(service, office, TOMORROW_10 + dt.timedelta(days=1)), service, person=4)
    return tomorrow, later


@pytest.mark.django_db
def test_reminders_go_once_to_each_booking_of_tomorrow(
    service, office, django_capture_on_commit_callbacks
):
    tomorrow, later = booked_tomorrow_and_later(service, office)
    reminder_time = NOW.replace(hour=9) + dt.timedelta(hours=1)

    # The reminders leave once their marks are committed (as the beat task's would).
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=reminder_time) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_reminders_send(now=reminder_time + dt.timedelta(hours=1)) == 0

    codes = sorted(b.code for b in tomorrow)
    sent = Message.objects.filter(kind="reminder")
    assert sorted(sent.filter(channel="sms").values_list("ref", flat=True)) == codes
    assert sorted(sent.filter(channel="email").values_list("ref", flat=True)) == codes
    assert len(sms_texts()) == 2 and len(mail.outbox) == 2
    assert all(len(email.attachments) == 2 for email in mail.outbox)  # PDF and .ics again
    english = next(e for e in mail.outbox if e.subject.startswith("Reminder"))
    assert "tomorrow" in english.subject
    assert Booking.objects.get(pk=later.pk).reminder_sent_at is None


@pytest.mark.django_db
def test_marking_a_booking_reminded_succeeds_once(service, office):
    booking = book(slot_at(service, office), service)

    assert actions.booking_mark_reminded(booking_id=booking.pk, now=NOW) is True
    assert actions.booking_mark_reminded(booking_id=booking.pk, now=NOW) is False
    booking.refresh_from_db()
    assert booking.reminder_sent_at == NOW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reminder_runs_remind_each_booking_once(service, office):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrent transactions")
    tomorrow, _later = booked_tomorrow_and_later(service, office)
    sms_outbox().clear()  # the confirmations (on_commit runs in this test)
    barrier = threading.Barrier(4)
    totals = []

    def run():
        try:
            barrier.wait()
            totals.append(booking_reminders_send(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(totals) == len(tomorrow)
    assert Message.objects.filter(kind="reminder", channel="sms").count() == len(tomorrow)
    assert len(sms_texts()) == len(tomorrow)


@pytest.mark.django_db
def test_a_failed_channel_is_recorded_and_retried_alone(
    service, office, settings, django_capture_on_commit_callbacks
):
    booking = book(slot_at(service, office), service)
    settings.EMAIL_BACKEND = "appointments.tests.test_messages.BrokenEmailBackend"

    with pytest.raises(OSError):
        booking_message_send(booking_id=booking.pk, kind="confirmed")
    assert dict(Message.objects.values_list("channel", "status")) == {
        "sms": MessageStatus.SENT,
        "email": MessageStatus.FAILED,
    }

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    booking_message_send(booking_id=booking.pk, kind="confirmed")  # the task's retry

    assert len(sms_texts()) == 1  # not sent twice
    assert len(mail.outbox) == 1
    assert Message.objects.filter(channel="email", status=MessageStatus.SENT).count() == 1


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(f"cannot reach SMTP for {messages[0].to[0]}")


@pytest.mark.django_db
def test_the_outbox_never_shows_a_full_phone_number(admin_client, service, office):
    sms_outbox().clear()
    message = message_send(channel="sms", to=PHONE, body="你好", kind="test", ref="ABCDEFGH")

    assert message.status == MessageStatus.SENT
    assert sms_outbox() == [{"phone": PHONE, "text": "【一窗通办】你好"}]  # delivered for real
    assert PHONE not in str(message) and "138****5678" in str(message)
    listing = admin_client.get("/zh-hans/admin/notifications/message/")
    detail = admin_client.get(f"/zh-hans/admin/notifications/message/{message.pk}/change/")
    assert listing.status_code == 200 and detail.status_code == 200
    assert "138****5678" in listing.content.decode()
    assert PHONE not in listing.content.decode() and PHONE not in detail.content.decode()
    model_admin = admin_site._registry[Message]
    request = RequestFactory().get("/")
    request.user = listing.wsgi_request.user
    assert not model_admin.has_change_permission(request, message)
    assert not model_admin.has_add_permission(request)


@pytest.mark.django_db
def test_a_failure_is_logged_without_the_phone_number(caplog, settings):
    settings.SMS_BACKEND = "appointments.tests.test_messages.BrokenSMSBackend"

    message = message_send(channel="sms", to=PHONE, body="x", kind="test", ref="R")

    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert PHONE not in message.error and "138****5678" in message.error
    assert caplog.records and PHONE not in caplog.text


class BrokenSMSBackend:
    def send(self, *, phone: str, text: str) -> None:
        raise ConnectionError(f"gateway refused {phone}")


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError):
        booking_message_send(booking_id=1, kind="birthday")


@pytest.mark.django_db
def test_joining_the_waiting_list_is_confirmed_by_sms_with_reference_position_and_leave_link(
    service, office, django_capture_on_commit_callbacks
):
    book(slot_at(service, office, bookable=1), service)
    with django_capture_on_commit_callbacks(execute=True):
        entry = actions.waiting_join(
            office=office, service=service, day=TOMORROW_10.date(), name="李四",
            id_number=id_number(2), phone="13900001111", email="wait@example.com",
        )
    (sms,) = [m["text"] for m in sms_outbox() if m["phone"] == "13900001111"]
    link = f"{settings.SITE_URL}/zh-hans/book/waiting/{actions.waiting_manage_token(entry)}/"
    assert sms.startswith("【一窗通办】") and entry.reference in sms and link in sms
    assert "第 1 位" in sms and id_number(2) not in sms
    (email,) = [e for e in mail.outbox if e.to == ["wait@example.com"]]
    assert entry.reference in email.body and link in email.body
    assert Message.objects.get(channel="sms", kind="joined").ref == f"wait-{entry.pk}-joined"
