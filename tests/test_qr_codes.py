"""Every QR code the system prints scans as a phone reads it (issue 17): a regular QR code (never
a Micro QR, which WeChat, Alipay and phone cameras do not read) with a quiet zone of 4 light
modules, decoded with zxing-cpp from the rendered page or PDF, and leading where it should."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD, staff
from appointments.printouts import booking_pdf
from appointments.views import SESSION_KEY
from core.tests.qr_scan import Scan, scan_html, scan_pdf
from documents.tests.certificate_helpers import issued, signing_keys, stored_pdf
from queues.printouts import ticket_follow_url, ticket_pdf
from queues.tests.factories import kiosk_for, service_with_letter
from queues.tests.queue_setup import at, booking, office_with, walk_in
from queues.views.kiosk import KIOSK_COOKIE

__all__ = ["signing_keys"]  # a fixture
pytestmark = pytest.mark.django_db


def assert_scans(scans: list[Scan], text: str) -> None:
    assert [scan.text for scan in scans] == [text]
    [scan] = scans
    assert scan.is_regular_qr, "a Micro QR code"
    assert scan.quiet_zone >= 3.75, f"quiet zone of {scan.quiet_zone:.1f} modules"


@pytest.fixture
def office_and_service():
    service = service_with_letter("A")
    return office_with(service)[0], service


def test_the_booking_page_and_confirmation_pdf_carry_the_booking_code(client, office_and_service):
    office, service = office_and_service
    made = booking(office, service, at(10))
    session = client.session
    session[SESSION_KEY] = [made.code]
    session.save()

    page = client.get(reverse("appointments:booking_done", args=[made.code]))

    assert page.status_code == 200
    assert_scans(scan_html(page.content.decode()), made.code)
    assert_scans(scan_pdf(booking_pdf(made)), made.code)


def test_the_kiosk_ticket_page_and_receipt_lead_to_the_follow_page(client, office_and_service):
    office, service = office_and_service
    _kiosk, token = kiosk_for(office)
    client.cookies[KIOSK_COOKIE] = token
    with time_machine.travel(at(9, 50), tick=False):
        ticket = walk_in(office, service, at(9, 45))
        page = client.get(reverse("queues:kiosk_ticket", args=[ticket.follow_token]))

    follow = ticket_follow_url(ticket)
    assert follow.startswith("http://127.0.0.1:8000/")
    assert_scans(scan_html(page.content.decode()), follow)
    assert_scans(scan_pdf(ticket_pdf(ticket)), follow)


def test_the_certificate_pdf_leads_to_its_verification(
    signing_keys, django_capture_on_commit_callbacks
):
    certificate, _code = issued(django_capture_on_commit_callbacks)
    [scan] = scan_pdf(stored_pdf(certificate))
    assert scan.text.startswith("http://127.0.0.1:8000/zh-hans/verify/q/")
    assert_scans([scan], scan.text)
    assert Client().get(scan.text.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_the_authenticator_set_up_page_carries_the_otpauth_link():
    user = staff("clerk")
    client = Client()
    signed_in = client.post(
        reverse("staff:signin"), {"username": user.username, "password": PASSWORD}
    )
    page = client.get(signed_in["Location"])

    [scan] = scan_html(page.content.decode())
    assert scan.text.startswith("otpauth://totp/")
    assert_scans([scan], scan.text)
