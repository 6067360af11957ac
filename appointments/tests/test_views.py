"""The resident's booking pages, driven with the test client as a browser without JavaScript
(and, where htmx swaps a part, as htmx does)."""

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from appointments import actions
from appointments.constants import BookingStatus, WaitStatus
from appointments.errors import BookingNotFound, DuplicateBooking, OfferExpired, SlotFull
from appointments.models import Booking, Closure, Slot, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.tests.factories import id_number
from services.models import Channel
from services.tests.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday, 09:00
TOMORROW = NOW.date() + dt.timedelta(days=1)
LANGS = ["zh-hans", "en"]
CHECKSUM = "The check character of this ID number is wrong; please check for a typing error."


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def slot() -> Slot:
    """Tomorrow 10:00, 3 places bookable online, for a counter service with 2 materials."""
    service = ServiceFactory(materials=2)
    return SlotFactory(schedule=ScheduleFactory(services=[service]))


def service_of(slot: Slot):
    return slot.schedule.services.first()


def details_url(slot: Slot, lang: str = "zh-hans") -> str:
    return f"/{lang}/book/{service_of(slot).code}/{slot.office.code}/{slot.pk}/"


def time_url(slot: Slot, lang: str = "zh-hans") -> str:
    return f"/{lang}/book/{service_of(slot).code}/{slot.office.code}/"


def person(n: int = 1, **changes) -> dict:
    data = {
        "name": "张三",
        "id_number": id_number(n),
        "phone": "13800138000",
        "email": "",
        "consent": "on",
        "token": str(uuid.uuid4()),
    }
    return {**data, **changes}


def book_directly(slot: Slot, n: int = 1) -> Booking:
    return actions.booking_create(
        slot_id=slot.pk,
        service=service_of(slot),
        name="李四",
        id_number=id_number(n),
        phone="13900139000",
    )


def html(response) -> str:
    return response.content.decode()


def translated(lang: str, message) -> str:
    with translation.override(lang):
        return str(message)


def booking_name_absent(response) -> bool:
    return "张三" not in html(response)


def lookup(client: Client, code: str, last4: str, lang: str = "zh-hans"):
    return client.post(f"/{lang}/book/manage/", {"code": code, "id_last4": last4})


@pytest.mark.parametrize("lang", LANGS)
def test_a_resident_books_from_the_service_list_to_the_confirmation(client, slot, lang):
    service, office = service_of(slot), slot.office
    local = "name_zh" if lang == "zh-hans" else "name_en"

    services_page = client.get(f"/{lang}/book/")
    assert getattr(service, local) in html(services_page)
    assert f'href="/{lang}/book/{service.code}/"' in html(services_page)

    offices_page = client.get(f"/{lang}/book/{service.code}/")
    assert getattr(office, local) in html(offices_page)
    assert f'href="{time_url(slot, lang)}"' in html(offices_page)
    filtered = client.get(f"/{lang}/book/{service.code}/", {"district": office.district_id},
                          HTTP_HX_REQUEST="true")  # the district filter swaps the list only
    assert html(filtered).lstrip().startswith('<section id="results"')
    assert f'href="{time_url(slot, lang)}"' in html(filtered)

    calendar = client.get(time_url(slot, lang))
    assert calendar.status_code == 200
    assert f'href="?date={TOMORROW:%Y-%m-%d}#slots"' in html(calendar)
    # Without a chosen day the first open day's times are shown (no JavaScript needed).
    assert f'href="{details_url(slot, lang)}"' in html(calendar)

    swapped = client.get(f"{time_url(slot, lang)}?date={TOMORROW}", headers={"HX-Request": "true"})
    assert "<html" not in html(swapped)
    assert 'id="picker"' in html(swapped)
    assert "10:00–10:30" in html(swapped)
    assert "autofocus" in html(swapped)

    form_page = client.get(details_url(slot, lang))
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', html(form_page)).group(1)
    done = client.post(details_url(slot, lang), person(token=token))

    booking = Booking.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/{lang}/book/done/{booking.code}/"
    assert booking.language == lang
    assert booking.slot == slot and booking.status == BookingStatus.BOOKED
    slot.refresh_from_db()
    assert slot.booked == 1

    confirmation = html(client.get(done["Location"]))
    assert booking.code in confirmation
    assert office.address in confirmation if lang == "en" else office.address_zh in confirmation
    for material in service.materials.all():
        assert (material.name_en if lang == "en" else material.name_zh) in confirmation
    assert f"/{lang}/book/manage/{booking.code}/pdf/" in confirmation
    assert f"/{lang}/book/manage/{booking.code}/ics/" in confirmation
    assert "430***********" in confirmation  # only the masked number is ever shown

    pdf = client.get(f"/{lang}/book/manage/{booking.code}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    ics = client.get(f"/{lang}/book/manage/{booking.code}/ics/")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in ics.content


def test_only_counter_services_with_a_schedule_can_be_booked(client, slot):
    online = ServiceFactory(channel=Channel.ONLINE)
    unscheduled = ServiceFactory()
    page = html(client.get("/en/book/"))
    assert service_of(slot).name_en in page
    assert online.name_en not in page
    assert unscheduled.name_en not in page
    assert client.get(f"/en/book/{online.code}/").status_code == 404


def test_service_search_narrows_the_list_and_htmx_gets_only_the_results(client, slot):
    other = SlotFactory(schedule=ScheduleFactory(services=[ServiceFactory(name_en="Passport")]))
    page = client.get("/en/book/?q=passport", headers={"HX-Request": "true"})
    assert "<html" not in html(page)
    assert service_of(other).name_en in html(page)
    assert service_of(slot).name_en not in html(page)


def test_service_and_office_pages_lead_into_the_booking(client, slot):
    service, office = service_of(slot), slot.office
    detail = html(client.get(f"/en/services/{service.code}/"))
    assert f'href="/en/book/{service.code}/"' in detail
    office_page = html(client.get(f"/en/offices/{office.code}/"))
    assert f'href="{time_url(slot, "en")}"' in office_page
    assert 'href="/en/book/manage/"' in office_page  # "Find my booking" in the main menu


def test_calendar_shows_closed_and_not_yet_open_days(client, slot):
    service = service_of(slot)
    Closure.objects.create(
        office=slot.office,
        start_date=TOMORROW,
        end_date=TOMORROW,
        reason_zh="系统升级",
        reason_en="System upgrade",
    )
    later = NOW.date() + dt.timedelta(days=8)  # released 7 days ahead at 08:00
    SlotFactory(
        schedule=slot.schedule,
        start=dt.datetime.combine(later, dt.time(10, 0), tzinfo=SHANGHAI),
    )
    page = html(client.get(f"/en/book/{service.code}/{slot.office.code}/"))
    assert "System upgrade" in page
    opens = later - dt.timedelta(days=7)
    assert f"Opens {opens:%m-%d} 08:00" in page
    # A closed day is not a link.
    assert f'href="?date={TOMORROW:%Y-%m-%d}#slots"' not in page


def test_invalid_id_number_shows_the_checksum_message_on_the_field(client, slot):
    wrong = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    for lang in LANGS:
        response = client.post(details_url(slot, lang), person(id_number=wrong))
        page = html(response)
        assert response.status_code == 200
        assert translated(lang, gettext(CHECKSUM)) in page
        field = re.search(r'<input[^>]*name="id_number"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in field
        assert 'aria-describedby="id_id_number_helptext id_id_number_error"' in field
        assert 'id="id_id_number_error"' in page
        assert 'role="alert"' in page
    assert not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_bad_phone_and_missing_consent_are_refused(client, slot):
    response = client.post(details_url(slot), person(phone="23800138000", consent=""))
    page = html(response)
    assert 'id="id_phone_error"' in page
    assert 'id="id_consent_error"' in page
    assert not Booking.objects.exists()


def test_a_double_submit_with_the_same_token_books_once(client, slot):
    data = person()
    first = client.post(details_url(slot), data)
    second = client.post(details_url(slot), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.parametrize("lang", LANGS)
def test_a_full_slot_shows_the_full_message_and_books_nothing(client, slot, lang):
    page = client.get(details_url(slot, lang))
    Slot.objects.filter(pk=slot.pk).update(booked=3)  # taken by others meanwhile
    response = client.post(
        details_url(slot, lang), person(token=page.context["form"]["token"].value())
    )
    body = html(response)
    assert response.status_code == 409
    assert translated(lang, SlotFull()) in body
    assert 'role="alert"' in body
    assert f'href="{time_url(slot, lang)}?date={TOMORROW}#slots"' in body  # back to the times
    assert 'name="id_number"' not in body
    assert not Booking.objects.exists()

    # Arriving at a full slot, the form is not even offered.
    again = html(client.get(details_url(slot, lang)))
    assert translated(lang, SlotFull()) in again
    assert 'name="id_number"' not in again


def test_a_second_booking_for_the_same_service_is_refused_at_the_top_of_the_form(client, slot):
    book_directly(slot, 1)
    response = client.post(details_url(slot), person(1))
    body = html(response)
    assert response.status_code == 409
    assert translated("zh-hans", DuplicateBooking()) in body
    assert 'name="id_number"' in body  # the form stays for a correction
    assert Booking.objects.count() == 1


def test_the_confirmation_is_shown_only_to_the_session_that_booked(client, slot):
    client.post(details_url(slot), person())
    code = Booking.objects.get().code
    stranger = Client()
    assert stranger.post(f"/en/book/manage/{code}/cancel/").status_code == 302
    assert Booking.objects.get().status == BookingStatus.BOOKED
    pages = ["done/{}/", "manage/{}/", "manage/{}/pdf/", "manage/{}/ics/", "manage/{}/cancel/"]
    for page in pages:
        response = stranger.get("/en/book/" + page.format(code))
        assert booking_name_absent(response)
        assert response.status_code == 302
        assert response["Location"] == "/en/book/manage/"
    assert client.get(f"/en/book/done/{code}/").status_code == 200


def test_wrong_last4_gets_the_same_message_as_an_unknown_code(client, slot):
    booking = book_directly(slot, 1)
    last4 = booking.id_masked[-4:]
    wrong = "0000" if last4 != "0000" else "1111"
    expected = translated("en", BookingNotFound())
    for code, digits in [(booking.code, wrong), ("ZZZZZZZZ", last4)]:
        response = lookup(client, code, digits, "en")
        assert response.status_code == 404
        assert expected in html(response)
    assert booking.code not in client.session.get("my_bookings", [])
    assert client.get(f"/en/book/manage/{booking.code}/").status_code == 302


def test_lookups_are_rate_limited_per_address(client, slot, settings):
    settings.LOOKUP_GUARD = {**settings.LOOKUP_GUARD, "PER_ADDRESS_LIMIT": 10}
    booking = book_directly(slot, 1)
    for _ in range(10):
        assert lookup(client, "ZZZZZZZZ", "1234", "en").status_code == 404
    refused = lookup(client, booking.code, booking.id_masked[-4:], "en")
    assert refused.status_code == 429
    assert "Too many attempts" in html(refused)
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert lookup(other_address, booking.code, booking.id_masked[-4:], "en").status_code == 302


def test_find_and_cancel_a_booking(client, slot):
    booking = book_directly(slot, 1)
    found = lookup(client, booking.code.lower(), booking.id_masked[-4:])
    assert found["Location"] == f"/zh-hans/book/manage/{booking.code}/"
    manage = html(client.get(found["Location"]))
    assert booking.code in manage and booking.id_masked in manage
    assert f"/zh-hans/book/manage/{booking.code}/cancel/" in manage

    confirm = client.get(f"/zh-hans/book/manage/{booking.code}/cancel/")
    assert confirm.status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED  # a GET changes nothing

    done = client.post(f"/zh-hans/book/manage/{booking.code}/cancel/")
    assert done["Location"] == f"/zh-hans/book/manage/{booking.code}/"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    after = html(client.get(done["Location"]))
    assert f"/zh-hans/book/manage/{booking.code}/cancel/" not in after


def test_reschedule_to_another_time_through_the_pages(client, slot):
    later = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=1))
    booking = book_directly(slot, 1)
    lookup(client, booking.code, booking.id_masked[-4:], "en")
    base = f"/en/book/manage/{booking.code}/reschedule/"

    picker = html(client.get(f"{base}?date={TOMORROW}"))
    assert f'href="{base}?slot={later.pk}"' in picker
    assert f'href="{base}?slot={slot.pk}"' not in picker  # the current time is not offered
    swapped = html(client.get(f"{base}?date={TOMORROW}", headers={"HX-Request": "true"}))
    assert "<html" not in swapped and 'id="picker"' in swapped  # choosing a day with htmx
    assert f'href="{base}?slot={later.pk}"' in swapped

    confirm = client.get(f"{base}?slot={later.pk}")
    assert confirm.status_code == 200 and "11:00–11:30" in html(confirm)
    moved = client.post(base, {"slot": later.pk})
    new = Booking.objects.get(status=BookingStatus.BOOKED)
    assert moved["Location"] == f"/en/book/done/{new.code}/"
    assert new.slot == later and new.code != booking.code
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert new.code in html(client.get(moved["Location"]))

    again = client.post(base, {"slot": later.pk})  # a double submit moves nothing more
    assert again["Location"] == f"/en/book/done/{new.code}/"
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1


def test_join_the_waiting_list_and_accept_the_offered_place(client, clock):
    service = ServiceFactory()
    slot = SlotFactory(schedule=ScheduleFactory(services=[service]), bookable=1)
    first = book_directly(slot, 1)

    calendar = html(client.get(f"{time_url(slot, 'en')}?date={TOMORROW}"))
    wait_url = f"{time_url(slot, 'en')}wait/?date={TOMORROW}"
    assert f'href="{wait_url}"' in calendar

    joined = client.post(wait_url, person(2, name="王五"))
    assert joined.status_code == 302
    assert html(client.get(joined["Location"])).count("You are on the waiting list") >= 1
    entry = WaitingListEntry.objects.get()
    assert entry.status == WaitStatus.WAITING and entry.language == "en"

    actions.booking_cancel(booking=first)
    clock.shift(dt.timedelta(minutes=31))  # after the embargo the place goes to the list
    actions.slot_release_embargoed_places()
    entry.refresh_from_db()
    assert entry.status == WaitStatus.OFFERED
    offer_url = f"/en/book/offer/{actions.waiting_offer_token(entry)}/"

    offer = client.get(offer_url)
    assert offer.status_code == 200 and "10:00–10:30" in html(offer)
    accepted = client.post(offer_url)
    booking = Booking.objects.get(status=BookingStatus.BOOKED)
    assert accepted["Location"] == f"/en/book/done/{booking.code}/"
    assert booking.name == "王五"
    assert client.post(offer_url)["Location"] == accepted["Location"]  # double tap
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1

    gone = Client().get(offer_url)
    assert gone.status_code == 410
    assert translated("en", OfferExpired()) in html(gone)


def test_joining_shows_the_reference_and_position_and_the_link_lets_the_resident_leave(
    client, clock
):
    slot = SlotFactory(bookable=1)
    book_directly(slot, 1)
    wait_url = f"{time_url(slot, 'en')}wait/?date={TOMORROW}"
    client.post(wait_url, person(2, name="王五"))
    joined = client.post(wait_url, person(3, name="赵六"))
    entry = WaitingListEntry.objects.get(name="赵六")
    assert id_number(3) not in joined["Location"]
    page = html(client.get(joined["Location"]))
    assert entry.reference in page and "You are number 2 on the waiting list" in page

    left = Client().post(joined["Location"])  # the SMS link works on any phone, no session
    assert left["Location"] == joined["Location"]
    entry.refresh_from_db()
    assert entry.status == WaitStatus.CANCELLED
    page = html(client.get(joined["Location"]))
    assert "You have left the waiting list" in page and "Leave the waiting list" not in page
    assert client.get("/en/book/waiting/forged/").status_code == 404


def test_an_expired_offer_says_so(client, clock):
    slot = SlotFactory(bookable=1)
    first = book_directly(slot, 1)
    entry = actions.waiting_join(
        office=slot.office,
        service=service_of(slot),
        day=TOMORROW,
        name="王五",
        id_number=id_number(2),
        phone="13700137000",
    )
    actions.booking_cancel(booking=first)
    clock.shift(dt.timedelta(minutes=31))
    actions.slot_release_embargoed_places()
    entry.refresh_from_db()
    clock.shift(dt.timedelta(hours=3))
    response = client.get(f"/zh-hans/book/offer/{actions.waiting_offer_token(entry)}/")
    assert response.status_code == 410
    assert translated("zh-hans", OfferExpired()) in html(response)
    assert client.get("/zh-hans/book/offer/forged-token/").status_code == 410


def test_the_waiting_list_is_only_for_full_days(client, slot):
    response = client.get(f"{time_url(slot)}wait/?date={TOMORROW}")
    assert response.status_code == 302
    assert response["Location"] == time_url(slot)


def test_the_booking_forms_missing_answer_says_which_field():
    from appointments.forms import BookingDetailsForm

    form = BookingDetailsForm({})
    assert "请填写“姓名”。" in form.errors["name"]
    assert not any("这个字段是必填项" in e for errors in form.errors.values() for e in errors)


# ---- The confirmation PDF, served from its stored copy


def stored_pdfs(code: str) -> list[str]:
    from core.uploads import private_storage

    try:
        return private_storage.listdir(f"printouts/bookings/{code}")[1]
    except FileNotFoundError:
        return []


def pdf_words(response) -> str:
    from appointments.tests.test_printouts import pdf_text, squeeze

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return squeeze(pdf_text(response.content)[1])


def test_the_downloaded_confirmation_is_stored_and_served_again(client, slot):
    booking = book_directly(slot, 1)
    lookup(client, booking.code, booking.id_masked[-4:], "en")
    first = client.get(f"/en/book/manage/{booking.code}/pdf/")
    assert "10:00–10:30" in pdf_words(first)
    assert len(stored_pdfs(booking.code)) == 1
    again = client.get(f"/en/book/manage/{booking.code}/pdf/")
    assert again.content == first.content
    assert len(stored_pdfs(booking.code)) == 1


def test_after_a_reschedule_the_download_shows_the_new_time_and_the_old_one_is_cancelled(
    client, slot
):
    later = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=1))
    booking = book_directly(slot, 1)
    lookup(client, booking.code, booking.id_masked[-4:], "en")
    before = pdf_words(client.get(f"/en/book/manage/{booking.code}/pdf/"))
    assert "10:00–10:30" in before and "Cancelled" not in before

    client.post(f"/en/book/manage/{booking.code}/reschedule/", {"slot": later.pk})
    new = Booking.objects.get(status=BookingStatus.BOOKED)
    moved = pdf_words(client.get(f"/en/book/manage/{new.code}/pdf/"))
    assert new.code[:4] in moved and "11:00–11:30" in moved and "10:00–10:30" not in moved
    old = pdf_words(client.get(f"/en/book/manage/{booking.code}/pdf/"))
    assert "Cancelled" in old  # the stored copy of the booked page is not served any more
    assert len(stored_pdfs(booking.code)) == 1  # and it is gone


def test_after_a_cancellation_the_download_says_cancelled(client, slot):
    booking = book_directly(slot, 1)
    lookup(client, booking.code, booking.id_masked[-4:], "en")
    assert "Cancelled" not in pdf_words(client.get(f"/en/book/manage/{booking.code}/pdf/"))
    client.post(f"/en/book/manage/{booking.code}/cancel/")
    assert "Cancelled" in pdf_words(client.get(f"/en/book/manage/{booking.code}/pdf/"))


def test_a_stored_confirmation_is_not_given_to_another_session_with_the_code(client, slot):
    booking = book_directly(slot, 1)
    lookup(client, booking.code, booking.id_masked[-4:], "en")
    assert client.get(f"/en/book/manage/{booking.code}/pdf/").status_code == 200
    assert stored_pdfs(booking.code)

    stranger = Client()
    response = stranger.get(f"/en/book/manage/{booking.code}/pdf/")
    assert response.status_code == 302 and response["Location"] == "/en/book/manage/"
    assert not response.content.startswith(b"%PDF")


def test_a_booking_without_e_mail_has_its_confirmation_stored_once_its_page_is_shown(
    client, slot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(details_url(slot), person())
    booking = Booking.objects.get()
    assert not booking.email and stored_pdfs(booking.code) == []  # the SMS made no PDF
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/en/book/done/{booking.code}/").status_code == 200
    assert len(stored_pdfs(booking.code)) == 1  # made by a worker while the page is read
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/en/book/done/{booking.code}/")  # shown again: nothing rendered again
    assert len(stored_pdfs(booking.code)) == 1

    from core.models import OutboxMessage
    from core.uploads import private_storage

    assert OutboxMessage.objects.filter(task="appointments.tasks.booking_pdf_prepare").count() == 1

    stored = stored_pdfs(booking.code)[0]
    with private_storage.open(f"printouts/bookings/{booking.code}/{stored}", "rb") as handle:
        assert client.get(f"/en/book/manage/{booking.code}/pdf/").content == handle.read()
