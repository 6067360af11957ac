"""Every link that leaves the site is on SITE_URL, the address residents reach it at (issue 17):
a booking's SMS, e-mail, PDF and calendar file, a certificate's notices, PDF and QR code."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils.module_loading import import_string
from icalendar import Calendar

from appointments import actions
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.tests.factories import id_number
from documents.tests.certificate_helpers import issued, qr_texts, signing_keys, stored_pdf
from services.tests.factories import OfficeFactory, ServiceFactory

__all__ = ["signing_keys"]  # a fixture
SITE = "https://ow.example.gov.cn:8443"
LINK = re.compile(r"https?://[^\s<>\"')]+")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    import_string(settings.SMS_BACKEND).outbox.clear()


def links(text: str) -> list[str]:
    return LINK.findall(text)


def pdf_links(pdf: bytes) -> list[str]:
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return links(text.replace("\n", ""))


def assert_all_on_site(found: list[str], *, some: bool = True) -> None:
    assert found or not some, "no link at all"
    assert [link for link in found if not link.startswith(SITE + "/")] == []


def test_a_booking_s_sms_email_pdf_and_calendar_file_link_to_site_url(
    django_capture_on_commit_callbacks,
):
    zone = ZoneInfo("Asia/Shanghai")
    service, office = ServiceFactory(), OfficeFactory()
    start = dt.datetime(2025, 6, 5, 10, 0, tzinfo=zone)
    slot = SlotFactory(schedule=ScheduleFactory(office=office, services=[service]), start=start)
    day_before = start - dt.timedelta(days=1)
    with (
        time_machine.travel(day_before, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.booking_create(
            slot_id=slot.pk, service=service, name="张三", id_number=id_number(1),
            phone="13812345678", email="resident@example.com", language="en",
        )  # fmt: skip

    [sms] = import_string(settings.SMS_BACKEND).outbox
    assert_all_on_site(links(sms["text"]), some=False)  # a short SMS: code, place and time
    [email] = mail.outbox
    assert_all_on_site(links(email.body))
    files = {name.rsplit(".", 1)[1]: content for name, content, _type in email.attachments}
    assert_all_on_site(pdf_links(files["pdf"]))
    ics = files["ics"].encode() if isinstance(files["ics"], str) else files["ics"]
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert_all_on_site(links(str(event["DESCRIPTION"])))


def test_a_certificate_s_notices_pdf_and_qr_code_link_to_site_url(
    signing_keys, django_capture_on_commit_callbacks
):
    certificate, _code = issued(django_capture_on_commit_callbacks)
    pdf = stored_pdf(certificate)

    [qr] = qr_texts(pdf)
    assert qr.startswith(f"{SITE}/zh-hans/verify/q/")
    assert_all_on_site(pdf_links(pdf))
    sent = import_string(settings.SMS_BACKEND).outbox  # the notice and the rating invitation
    assert_all_on_site([link for sms in sent for link in links(sms["text"])])
    assert_all_on_site([link for email in mail.outbox for link in links(email.body)])
