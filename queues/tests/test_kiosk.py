"""The check-in kiosk as a resident uses it: scan or type a booking code, or take a walk-in
ticket; every refusal says why in an alert and changes nothing."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from appointments.models import Booking
from queues.models import Kiosk, Ticket
from queues.tests.factories import kiosk_for, service_with_letter
from queues.tests.queue_setup import DAY, SENIOR, at, booking, office_with, walk_in
from queues.views.kiosk import KIOSK_COOKIE

NOW = at(9, 50)  # the kiosk's morning
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Pages in English (/en/…), so the assertions read the English messages."""
    with translation.override("en"):
        yield


@pytest.fixture
def service():
    return service_with_letter("A")


@pytest.fixture
def office(service):
    return office_with(service)[0]


def kiosk_client(client, office):
    _kiosk, token = kiosk_for(office)
    client.cookies[KIOSK_COOKIE] = token
    return client


def scan(client, code: str):
    return client.post(reverse("queues:kiosk_start"), {"code": code})


def alert(response) -> str:
    html = response.content.decode()
    found = re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert found, "no alert on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def ticket_number(response) -> str:
    found = re.search(r'class="kiosk-number">(\w+)<', response.content.decode())
    return found.group(1) if found else ""


# --- the device -------------------------------------------------------------------------------


def test_a_browser_without_the_kiosk_cookie_is_refused(client, office):
    for name in ("kiosk_start", "kiosk_categories"):
        response = client.get(reverse(f"queues:{name}"))
        assert response.status_code == 403
        assert "This device is not set up as a kiosk" in response.content.decode()
    client.cookies[KIOSK_COOKIE] = "guessed-token"
    assert client.get(reverse("queues:kiosk_start")).status_code == 403


def test_a_deactivated_kiosk_stops_working(client, office):
    kiosk_client(client, office)
    assert client.get(reverse("queues:kiosk_start")).status_code == 200
    Kiosk.objects.update(is_active=False)
    assert client.get(reverse("queues:kiosk_start")).status_code == 403


def test_the_setup_link_stores_a_strict_http_only_cookie_and_opens_the_kiosk(client, office):
    _kiosk, token = kiosk_for(office)
    response = client.get(reverse("queues:kiosk_setup", args=[token]))
    assert response.status_code == 302
    assert response.url == reverse("queues:kiosk_start")
    cookie = response.cookies[KIOSK_COOKIE]
    assert cookie.value == token
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    start = client.get(response.url)
    assert start.status_code == 200
    assert "Scan your booking QR or type your booking code" in start.content.decode()
    assert office.name_en in start.content.decode()


def test_a_wrong_setup_link_sets_nothing(client, office):
    kiosk_for(office)
    response = client.get(reverse("queues:kiosk_setup", args=["not-a-token"]))
    assert response.status_code == 403
    assert KIOSK_COOKIE not in response.cookies


def test_the_manager_creates_a_kiosk_in_the_admin_and_sees_its_setup_link_once(
    verified_client, office
):
    from accounts.tests.factories import staff

    manager = verified_client(staff("manager", office=office, is_staff=True))
    response = manager.post(
        reverse("admin:queues_kiosk_add"),
        {"office": office.pk, "name": "Hall kiosk", "is_active": "on"},
        follow=True,
    )
    kiosk = Kiosk.objects.get(name="Hall kiosk")
    link = re.search(r"https?://[^\"<\s]+/kiosk/setup/([\w-]+)/", response.content.decode())
    assert link, "the set-up link is not shown"
    device = manager.__class__()
    device.get(link.group(0))
    assert device.cookies[KIOSK_COOKIE].value == link.group(1)
    assert device.get(reverse("queues:kiosk_start")).status_code == 200
    # Only the hash is stored: the list page cannot show the link again.
    assert link.group(1) not in kiosk.token_hash
    assert (
        link.group(1) not in manager.get(reverse("admin:queues_kiosk_changelist")).content.decode()
    )


# --- check-in with a booking ------------------------------------------------------------------


def test_check_in_numbers_tickets_per_office_day_and_letter(client, clock, office, service):
    kiosk_client(client, office)
    first = booking(office, service, at(10), n=1)
    second = booking(office, service, at(10), n=2)

    response = scan(client, first.code)
    assert response.status_code == 302
    page = client.get(response.url)
    assert ticket_number(page) == "A001"
    html = page.content.decode()
    assert service.name_en in html
    assert "Please wait for your number on the screen" in html
    assert "<svg" in html and "Print" in html
    assert ticket_number(client.get(scan(client, second.code).url)) == "A002"

    elsewhere = office_with(service)[0]
    other_kiosk = kiosk_client(client.__class__(), elsewhere)
    third = booking(elsewhere, service, at(10), n=3)
    assert ticket_number(other_kiosk.get(scan(other_kiosk, third.code).url)) == "A001"
    assert Booking.objects.get(pk=first.pk).status == "checked_in"


def test_the_code_may_be_typed_in_lower_case_with_spaces(client, clock, office, service):
    kiosk_client(client, office)
    made = booking(office, service, at(10))
    typed = f" {made.code[:4].lower()} {made.code[4:].lower()} "
    assert ticket_number(client.get(scan(client, typed).url)) == "A001"


def test_a_second_scan_shows_the_same_ticket(client, clock, office, service):
    kiosk_client(client, office)
    made = booking(office, service, at(10))
    first = scan(client, made.code)
    again = scan(client, made.code)
    assert first.url == again.url
    assert Ticket.objects.count() == 1


def refused(client, code: str) -> str:
    before = (Ticket.objects.count(), sorted(Booking.objects.values_list("pk", "status")))
    response = scan(client, code)
    assert response.status_code in (404, 409)
    after = (Ticket.objects.count(), sorted(Booking.objects.values_list("pk", "status")))
    assert after == before
    return alert(response)


def test_too_early_says_from_when(client, office, service):
    kiosk_client(client, office)
    made = booking(office, service, at(10))
    with time_machine.travel(at(9, 0), tick=False):
        assert refused(client, made.code) == (
            "Too early: check-in for this booking opens at 09:30."
        )


def test_too_late_offers_a_walk_in_ticket(client, office, service):
    kiosk_client(client, office)
    made = booking(office, service, at(10))
    with time_machine.travel(at(12, 30), tick=False):
        message = refused(client, made.code)
    assert message == "Your booking time has passed; you can take a walk-in ticket instead."


def test_a_booking_of_another_day_or_office_or_unknown_is_refused(client, clock, office, service):
    kiosk_client(client, office)
    tomorrow = booking(office, service, at(10, day=DAY.replace(day=DAY.day + 1)), n=2)
    assert refused(client, tomorrow.code) == f"This booking is for {DAY.replace(day=3)}, not today."

    elsewhere = office_with(service)[0]
    theirs = booking(elsewhere, service, at(10), n=3)
    assert refused(client, theirs.code) == (
        f"This booking is for another office: {elsewhere.name_en}."
    )
    assert refused(client, "ZZZZ9999").startswith("No booking has this code")


def test_a_cancelled_booking_cannot_check_in(client, clock, office, service):
    kiosk_client(client, office)
    made = booking(office, service, at(10))
    Booking.objects.filter(pk=made.pk).update(status="cancelled")
    assert refused(client, made.code).startswith("This booking cannot be checked in")


def test_a_ticket_checked_in_at_one_office_is_not_shown_by_another(client, clock, office, service):
    made = booking(office, service, at(10))
    scan(kiosk_client(client, office), made.code)
    other = kiosk_client(client.__class__(), office_with(service)[0])
    assert refused(other, made.code).startswith("This booking is for another office")
    ticket = Ticket.objects.get()
    assert other.get(reverse("queues:kiosk_ticket", args=[ticket.follow_token])).status_code == 404


def test_a_resident_aged_65_or_over_goes_to_the_front(client, clock, office, service):
    kiosk_client(client, office)
    young = booking(office, service, at(10), n=1)
    senior = booking(office, service, at(10), n=2, born=SENIOR)
    young_page = client.get(scan(client, young.code).url)
    assert re.search(r'data-testid="ahead">0<', young_page.content.decode())

    clock.shift(120)
    senior_page = client.get(scan(client, senior.code).url).content.decode()
    assert "Priority" in senior_page and "aged 65 or over" in senior_page
    assert re.search(r'data-testid="ahead">0<', senior_page)
    young_again = client.get(
        reverse("queues:kiosk_ticket", args=[Ticket.objects.get(booking=young).follow_token])
    )
    assert re.search(r'data-testid="ahead">1<', young_again.content.decode())


# --- walk-in tickets --------------------------------------------------------------------------


def test_a_walk_in_resident_chooses_a_line_then_a_service_and_gets_a_ticket(
    client, clock, office, service
):
    other_line = service_with_letter("B")
    office.services.add(other_line)
    kiosk_client(client, office)

    lines = client.get(reverse("queues:kiosk_categories")).content.decode()
    assert service.category.name_en in lines and other_line.category.name_en in lines
    services = client.get(reverse("queues:kiosk_services", args=[other_line.category.code]))
    assert other_line.name_en in services.content.decode()
    assert service.name_en not in services.content.decode()

    take = reverse("queues:kiosk_walk_in", args=[other_line.code])
    assert "Mobile number (optional)" in client.get(take).content.decode()
    page = client.get(client.post(take, {"phone": "13912345678"}).url)
    assert ticket_number(page) == "B001"
    assert Ticket.objects.get().phone == "13912345678"
    assert ticket_number(client.get(client.post(take, {"phone": ""}).url)) == "B002"


def test_a_wrong_mobile_number_is_refused_without_a_ticket(client, clock, office, service):
    kiosk_client(client, office)
    response = client.post(reverse("queues:kiosk_walk_in", args=[service.code]), {"phone": "123"})
    assert response.status_code == 200
    assert alert(response) == "Enter an 11-digit mobile number, or leave it empty."
    assert not Ticket.objects.exists()


def test_a_service_this_office_does_not_offer_has_no_walk_in_page(client, clock, office):
    kiosk_client(client, office)
    foreign = service_with_letter("C")
    response = client.post(reverse("queues:kiosk_walk_in", args=[foreign.code]), {"phone": ""})
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_the_kiosk_prints_the_ticket_as_a_pdf(client, clock, office, service):
    kiosk_client(client, office)
    ticket = walk_in(office, service, at(9, 45))
    response = client.get(reverse("queues:kiosk_ticket_pdf", args=[ticket.follow_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- opening hours (the office is open Mon–Fri 09:00–12:00 and 13:30–17:30) --------------------


def take(client, service, **data):
    return client.post(reverse("queues:kiosk_walk_in", args=[service.code]), {"phone": "", **data})


def test_no_walk_in_ticket_while_the_office_is_closed_and_it_says_when_it_opens(
    client, office, service
):
    kiosk_client(client, office)
    saturday_night = at(3, 23, day=DAY.replace(day=7))
    with time_machine.travel(saturday_night, tick=False):
        page = client.get(reverse("queues:kiosk_categories"))
        assert page.status_code == 200
        expected = (
            "The office is closed now. It opens on Monday, March 9, at 09:00; walk-in tickets "
            "are given from then."
        )
        assert alert(page) == expected
        refused = take(client, service)
        assert refused.status_code == 409
        assert alert(refused) == expected
    with time_machine.travel(at(8, 40), tick=False):
        assert "It opens today at 09:00" in alert(take(client, service))
    assert not Ticket.objects.exists()


def test_walk_ins_end_before_closing_time_and_the_cut_off_is_a_setting(
    client, office, service, settings
):
    kiosk_client(client, office)
    with time_machine.travel(at(11, 29), tick=False):
        assert take(client, service).status_code == 302
    with time_machine.travel(at(11, 30), tick=False):
        refused = take(client, service)
        assert refused.status_code == 409
        assert alert(refused) == (
            "Walk-in tickets end 30 minutes before closing time. The office opens again "
            "today at 13:30."
        )
    settings.QUEUES = {**settings.QUEUES, "WALK_IN_CUTOFF_MINUTES": 60}
    with time_machine.travel(at(16, 45), tick=False):
        assert "opens again tomorrow at 09:00" in alert(take(client, service))
    assert Ticket.objects.count() == 1


def test_a_booked_resident_checks_in_before_opening_from_the_configured_time(
    client, office, service, settings
):
    kiosk_client(client, office)
    early = booking(office, service, at(9, 0), n=1)
    with time_machine.travel(at(8, 35), tick=False):
        assert "It opens today at 09:00" in alert(take(client, service))
        assert ticket_number(client.get(scan(client, early.code).url)) == "A001"
    settings.QUEUES = {**settings.QUEUES, "CHECK_IN_BEFORE_MINUTES": 10}
    later = booking(office, service, at(9, 0), n=2)
    with time_machine.travel(at(8, 45), tick=False):
        assert refused(client, later.code) == (
            "Too early: check-in for this booking opens at 08:50."
        )


# --- priority for walk-ins --------------------------------------------------------------------


def test_a_walk_in_aged_65_gives_the_id_number_and_goes_first_without_it_being_kept(
    client, clock, office, service
):
    from core.tests.factories import id_number

    kiosk_client(client, office)
    first = walk_in(office, service, at(9, 0))
    senior_id = id_number(5, born=SENIOR)
    page = client.get(take(client, service, id_number=senior_id).url).content.decode()
    assert "aged 65 or over" in page and re.search(r'data-testid="ahead">0<', page)
    ticket = Ticket.objects.exclude(pk=first.pk).get()
    assert (ticket.priority, ticket.priority_reason) == (True, "age")
    row = Ticket.objects.filter(pk=ticket.pk).values().get()
    assert not [k for k, v in row.items() if senior_id[-8:] in str(v)], "the ID number is kept"
    assert senior_id not in page


def test_a_wrong_id_number_is_refused_and_not_shown_again(client, clock, office, service):
    from core.tests.factories import id_number

    kiosk_client(client, office)
    right = id_number(5, born=SENIOR)
    typed = right[:17] + ("1" if right[17] != "1" else "2")  # a wrong check character
    response = take(client, service, id_number=typed)
    assert response.status_code == 200
    assert "check character" in alert(response)
    assert typed not in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_walk_in_under_65_gets_no_priority_from_the_id_number(client, clock, office, service):
    from core.tests.factories import id_number

    kiosk_client(client, office)
    take(client, service, id_number=id_number(6))
    assert Ticket.objects.get().priority is False


def test_claiming_priority_puts_the_ticket_first_for_the_clerk_to_check(
    client, clock, office, service
):
    kiosk_client(client, office)
    walk_in(office, service, at(9, 0))
    page = client.get(take(client, service, claims_priority="1").url).content.decode()
    assert "the clerk checks it at the counter" in page
    assert re.search(r'data-testid="ahead">0<', page)
    assert Ticket.objects.get(priority=True).priority_reason == "claimed"


def test_no_walk_in_ticket_on_a_public_holiday_or_an_office_closure(client, office, service):
    from appointments.models import Closure

    kiosk_client(client, office)
    Closure.objects.create(office=None, start_date=DAY, end_date=DAY, reason_zh="节日")
    tuesday = DAY.replace(day=DAY.day + 1)
    Closure.objects.create(
        office=office, start_date=tuesday, end_date=tuesday.replace(day=tuesday.day + 1),
        reason_zh="内部培训",
    )  # fmt: skip
    with time_machine.travel(at(10), tick=False):
        refused = take(client, service)
        assert refused.status_code == 409
        assert "It opens on Thursday, March 5, at 09:00" in alert(refused)
    assert not Ticket.objects.exists()
