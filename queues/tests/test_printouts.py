"""The 80 mm ticket PDF, read back as text."""

import io

import pypdf
import pytest
import time_machine
from django.utils import translation

from queues.printouts import ticket_follow_url, ticket_pdf
from queues.tests.factories import service_with_letter
from queues.tests.queue_setup import SENIOR, at, check_in, office_with, walk_in

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(10), tick=False):
        yield


def read(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, " ".join(page.extract_text() for page in reader.pages)


def test_the_ticket_is_one_80mm_page_with_office_number_service_and_place():
    service = service_with_letter("B", name_zh="出入境证件申请", name_en="Exit-entry permit")
    office, _counters = office_with(service)
    walk_in(office, service, at(9, 30))
    ticket = walk_in(office, service, at(9, 41))

    reader, text = read(ticket_pdf(ticket))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width) / MM) == 80
    assert ticket.display == "B002" and "B002" in text
    assert office.name_zh in text and office.name_en in text
    assert "出入境证件申请" in text and "Exit-entry permit" in text
    assert "09:41" in text
    # The English line is always there: alone, or under its Chinese translation.
    assert "Watch the screen for your number" in text


def test_the_people_ahead_are_printed():
    service = service_with_letter("A")
    office, _counters = office_with(service)
    for minute in range(4):
        walk_in(office, service, at(9, 30 + minute))
    ticket = walk_in(office, service, at(9, 50))
    with translation.override("en"):
        _reader, text = read(ticket_pdf(ticket))
    assert "People before you" in text
    after = text.split("People before you", 1)[1]
    assert after.split()[0] == "4"


def test_a_priority_ticket_says_so():
    service = service_with_letter("A")
    office, _counters = office_with(service)
    ticket = check_in(office, service, at(10), at(9, 50), born=SENIOR)
    _reader, text = read(ticket_pdf(ticket))
    assert ticket.priority and "Priority" in text


def test_the_qr_leads_to_the_public_follow_page(settings):
    settings.SITE_URL = "https://onewindow.example"
    service = service_with_letter("A")
    office, _counters = office_with(service)
    ticket = walk_in(office, service, at(9, 45))
    url = ticket_follow_url(ticket)
    assert url.startswith("https://onewindow.example/")
    assert url.endswith(f"/queue/t/{ticket.follow_token}/")


def test_the_printed_qr_decodes_to_the_follow_page():
    """Read as a thermal printer prints it (203 dpi), the QR code gives the follow page."""
    import pypdfium2
    import zxingcpp

    service = service_with_letter("A")
    office, _counters = office_with(service)
    ticket = walk_in(office, service, at(9, 45))
    document = pypdfium2.PdfDocument(io.BytesIO(ticket_pdf(ticket)))
    try:
        image = document[0].render(scale=203 / 72).to_pil()
    finally:
        document.close()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [ticket_follow_url(ticket)]
