"""The booking API (/api/v1/slots/, /api/v1/bookings/) as a partner platform uses it."""

import datetime as dt
import io
import json
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core.cache import cache
from pypdf import PdfReader

from accounts.actions import api_client_create
from appointments import actions
from appointments.constants import BookingStatus
from appointments.models import Booking, Closure, Slot
from appointments.tests.factories import SlotFactory, past_booking
from core.tests.factories import id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
TOMORROW = NOW.date() + dt.timedelta(days=1)


def at(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        NOW.date() + dt.timedelta(days=days), dt.time(hour, minute), SHANGHAI
    )


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # Rate limits count in the cache: each test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token():
    return api_client_create(name="partner")[1]


def rates(settings, **changed):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **changed},
    }


def body(slot_: Slot, person: int = 1, **changed) -> dict:
    return {
        "slot": slot_.pk,
        "service": slot_.schedule.services.first().code,
        "name": "张三",
        "id_number": id_number(person),
        "phone": "13800138000",
        "email": "zhang@example.com",
        **changed,
    }


def post(client, url: str, data: dict, token: str | None = None, key: str | None = None, **h):
    if token:
        h["HTTP_AUTHORIZATION"] = f"Token {token}"
    if key:
        h["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, json.dumps(data), content_type="application/json", **h)


def book(client, token, slot_, person=1, **changed):
    return post(client, "/api/v1/bookings/", body(slot_, person, **changed), token)


def booked(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


# ---- GET /api/v1/slots/


def slots_url(slot: Slot, day: dt.date = TOMORROW) -> str:
    service = slot.schedule.services.first()
    return f"/api/v1/slots/?office={slot.office.code}&service={service.code}&date={day:%Y-%m-%d}"


def test_slots_of_a_day_with_places_left(client, token, slot):
    later = SlotFactory(schedule=slot.schedule, start=at(1, 11), bookable=1, booked=1)
    SlotFactory(schedule=slot.schedule, start=at(2))  # another day: not listed
    book(client, token, slot)

    response = client.get(slots_url(slot))

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": slot.pk,
            "start": "2025-06-05T10:00:00+08:00",
            "end": "2025-06-05T10:30:00+08:00",
            "capacity": 3,
            "remaining": 2,
            "bookable": True,
        },
        {
            "id": later.pk,
            "start": "2025-06-05T11:00:00+08:00",
            "end": "2025-06-05T11:30:00+08:00",
            "capacity": 1,
            "remaining": 0,
            "bookable": False,
        },
    ]


def test_slots_tell_which_cannot_be_booked_now(client, slot):
    too_late = SlotFactory(schedule=slot.schedule, start=NOW + dt.timedelta(minutes=30))
    not_yet = SlotFactory(schedule=slot.schedule, start=at(8))

    def bookable(day):
        return [s["bookable"] for s in client.get(slots_url(slot, day)).json()]

    assert bookable(TOMORROW) == [True]
    assert bookable(too_late.start.date()) == [False]
    assert bookable(not_yet.start.date()) == [False]
    Closure.objects.create(
        office=slot.office, start_date=TOMORROW, end_date=TOMORROW, reason_zh="停电"
    )
    assert bookable(TOMORROW) == [False]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"office", "service", "date"}),
        ("office=nowhere&service={service}&date=2025-06-05", {"office"}),
        ("office={office}&service=nothing&date=2025-06-05", {"service"}),
        ("office={office}&service={service}&date=5.6.2025", {"date"}),
        ("office={office}&service={service}&date=2025-02-30", {"date"}),
    ],
)
def test_slots_with_bad_parameters_get_field_errors(client, slot, query, fields):
    query = query.format(office=slot.office.code, service=slot.schedule.services.first().code)
    response = client.get(f"/api/v1/slots/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_slots_of_a_service_the_office_does_not_offer(client, slot):
    other = SlotFactory(start=at(1))
    service = other.schedule.services.first().code
    response = client.get(
        f"/api/v1/slots/?office={slot.office.code}&service={service}&date=2025-06-05",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"service": ["This office does not offer this service."]}


# ---- POST /api/v1/bookings/


def test_book_returns_the_code_and_a_pdf_link_without_personal_data(client, token, slot):
    response = book(client, token, slot)

    assert response.status_code == 201
    data = response.json()
    booking = Booking.objects.get()
    assert data["code"] == booking.code
    assert data["status"] == "booked"
    assert data["start"] == "2025-06-05T10:00:00+08:00"
    assert data["office"] == {
        "code": slot.office.code,
        "name": slot.office.name_zh,
        "address": slot.office.address_zh,
    }
    assert data["service"]["code"] == slot.schedule.services.first().code
    url = urlsplit(data["pdf_url"])
    assert (url.scheme, url.netloc, url.path) == (
        "http",
        "testserver",
        f"/api/v1/bookings/{booking.code}/pdf/",
    )
    assert set(parse_qs(url.query)) == {"sig"}
    assert id_number(1)[-4:] not in data["pdf_url"]
    assert booking.api_client == "partner"
    assert booked(slot) == 1


def test_names_follow_accept_language(client, token, slot):
    response = post(client, "/api/v1/bookings/", body(slot), token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["office"]["name"] == slot.office.name_en
    assert response.json()["service"]["name"] == slot.schedule.services.first().name_en
    assert Booking.objects.get().language == "en"


@pytest.mark.parametrize("header", [None, "Token not-a-real-token", "Token", "Bearer abc"])
def test_booking_needs_a_valid_token(client, token, slot, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client, "/api/v1/bookings/", body(slot), **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"] in {"not_authenticated", "authentication_failed"}
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"id_number": id_number(1)[:17] + "0"}, "id_number"),  # wrong check character
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "23800138000"}, "phone"),
        ({"phone": "1380013800"}, "phone"),
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"slot": 999999}, "slot"),
        ({"slot": 2**70}, "slot"),
        ({"slot": "seven"}, "slot"),
        ({"service": "no-such-service"}, "service"),
    ],
)
def test_bad_input_gets_field_errors_and_books_nothing(client, token, slot, changed, field):
    response = book(client, token, slot, **changed)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Booking.objects.exists()
    assert booked(slot) == 0


def test_id_number_errors_say_what_is_wrong_in_the_request_language(client, token, slot):
    data = body(slot, id_number=id_number(1)[:17] + "0")
    chinese = post(client, "/api/v1/bookings/", data, token)
    assert chinese.json() == {"id_number": ["身份证号码校验位不正确，请检查是否输错。"]}
    response = post(client, "/api/v1/bookings/", data, token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {
        "id_number": [
            "The check character of this ID number is wrong; please check for a typing error."
        ]
    }


def test_a_full_slot_answers_409_slot_full(client, token, slot):
    Slot.objects.filter(pk=slot.pk).update(bookable=1)
    assert book(client, token, slot, person=1).status_code == 201

    response = book(client, token, slot, person=2)

    assert response.status_code == 409
    assert response.json()["error"] == "slot_full"
    assert Booking.objects.count() == 1


def test_a_second_active_booking_for_the_service_answers_409_duplicate(client, token, slot):
    other = SlotFactory(schedule=slot.schedule, start=at(2))
    assert book(client, token, slot).status_code == 201

    response = post(client, "/api/v1/bookings/", body(other), token, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert response.json() == {
        "error": "duplicate",
        "detail": "You already have an active booking for this service. "
        "Change or cancel it instead.",
    }
    assert booked(other) == 0


def test_repeated_no_shows_answer_403_restricted(client, token, slot):
    for days_ago in (10, 20, 30):
        old = SlotFactory(schedule=slot.schedule, start=at(-days_ago))
        past_booking(slot=old, id_number=id_number(1), status=BookingStatus.NO_SHOW)

    response = book(client, token, slot)

    assert response.status_code == 403
    assert response.json()["error"] == "restricted"
    assert booked(slot) == 0


def test_other_refusals_carry_their_code_and_status(client, token, slot):
    late = SlotFactory(schedule=slot.schedule, start=NOW + dt.timedelta(minutes=30))
    response = post(client, "/api/v1/bookings/", body(late), token, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json() == {
        "error": "outside_window",
        "detail": "Booking for this time has closed.",
    }


def test_a_retry_with_the_same_idempotency_key_books_once(client, token, slot):
    first = post(client, "/api/v1/bookings/", body(slot), token, key="attempt-1")
    retry = post(client, "/api/v1/bookings/", body(slot), token, key="attempt-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Booking.objects.count() == 1
    assert booked(slot) == 1


def test_a_refusal_is_replayed_too(client, token, slot):
    Slot.objects.filter(pk=slot.pk).update(bookable=0)
    first = post(client, "/api/v1/bookings/", body(slot), token, key="k")
    Slot.objects.filter(pk=slot.pk).update(bookable=3)
    retry = post(client, "/api/v1/bookings/", body(slot), token, key="k")
    assert first.status_code == retry.status_code == 409
    assert retry.json()["error"] == "slot_full"
    assert not Booking.objects.exists()


def test_the_same_key_with_another_body_is_refused_422(client, token, slot):
    post(client, "/api/v1/bookings/", body(slot), token, key="attempt-1")
    response = post(client, "/api/v1/bookings/", body(slot, person=2), token, key="attempt-1")
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_idempotency_keys_belong_to_one_client(client, token, slot):
    other_token = api_client_create(name="other partner")[1]
    post(client, "/api/v1/bookings/", body(slot), token, key="same")
    response = post(client, "/api/v1/bookings/", body(slot, person=2), other_token, key="same")
    assert response.status_code == 201
    assert Booking.objects.count() == 2


# ---- GET /api/v1/bookings/<code>/ and cancel


@pytest.fixture
def booking(slot):
    return actions.booking_create(
        slot_id=slot.pk,
        service=slot.schedule.services.first(),
        name="张三",
        id_number=id_number(1),
        phone="13800138000",
    )


def test_look_up_a_booking_with_code_and_last_4(client, booking):
    last4 = id_number(1)[-4:]
    response = client.get(f"/api/v1/bookings/{booking.code}/?id_last4={last4}")

    assert response.status_code == 200
    assert response.json() == {
        "code": booking.code,
        "status": "booked",
        "start": "2025-06-05T10:00:00+08:00",
        "end": "2025-06-05T10:30:00+08:00",
        "office": {
            "code": booking.office.code,
            "name": booking.office.name_zh,
            "address": booking.office.address_zh,
        },
        "service": {"code": booking.service.code, "name": booking.service.name_zh},
        "name": "张*",
        "id_number": f"430***********{last4}",
    }
    english = client.get(
        f"/api/v1/bookings/{booking.code}/?id_last4={last4}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["office"]["address"] == booking.office.address_en


def test_wrong_last_4_and_unknown_code_get_the_same_404(client, booking):
    wrong = client.get(f"/api/v1/bookings/{booking.code}/?id_last4=0000")
    unknown = client.get("/api/v1/bookings/ABCDEFGH/?id_last4=" + id_number(1)[-4:])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "not_found"


def test_look_up_without_last_4_is_a_field_error(client, booking):
    response = client.get(f"/api/v1/bookings/{booking.code}/")
    assert response.status_code == 400
    assert list(response.json()) == ["id_last4"]


def test_cancel_a_booking(client, token, booking):
    last4 = id_number(1)[-4:]
    url = f"/api/v1/bookings/{booking.code}/cancel/"

    response = post(client, url, {"id_last4": last4}, token)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    again = post(client, url, {"id_last4": last4}, token)
    assert again.status_code == 409
    assert again.json()["error"] == "illegal_transition"


def test_cancel_needs_a_token_and_the_right_last_4(client, token, booking):
    url = f"/api/v1/bookings/{booking.code}/cancel/"
    assert post(client, url, {"id_last4": id_number(1)[-4:]}).status_code == 401
    wrong = post(client, url, {"id_last4": "0000"}, token)
    assert wrong.status_code == 404
    assert wrong.json()["error"] == "not_found"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


# ---- Rate limits


def test_lookups_are_limited_per_ip(client, settings, booking):
    rates(settings, api_lookup="3/minute")
    url = f"/api/v1/bookings/{booking.code}/?id_last4=0000"
    assert [client.get(url).status_code for _ in range(4)] == [404, 404, 404, 429]
    assert client.get(url).json()["error"] == "throttled"
    other_ip = client.get(url, REMOTE_ADDR="10.0.0.2")
    assert other_ip.status_code == 404


def test_anonymous_reads_are_limited_per_ip(client, settings, slot):
    rates(settings, anon="2/minute")
    codes = [client.get(slots_url(slot)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "Retry-After" in client.get(slots_url(slot))


def test_clients_are_limited_by_their_own_rate(client, settings, slot):
    rates(settings, anon="1/minute")  # a client is not counted per address
    slow = api_client_create(name="slow", rate="2/minute")[1]
    fast = api_client_create(name="fast", rate="100/minute")[1]
    codes = [book(client, slow, slot, person=n).status_code for n in (1, 2, 3)]
    assert codes == [201, 201, 429]
    assert book(client, fast, slot, person=3).status_code == 201


def test_a_client_without_own_rate_gets_the_default(client, settings, slot):
    rates(settings, api_client="1/minute")
    plain = api_client_create(name="plain")[1]
    from accounts.models import ApiClient

    ApiClient.objects.filter(name="plain").update(rate="")
    assert book(client, plain, slot, person=1).status_code == 201
    assert book(client, plain, slot, person=2).status_code == 429


def test_the_limit_resets_after_its_period(client, settings, slot):
    rates(settings, anon="1/minute")
    assert client.get(slots_url(slot)).status_code == 200
    assert client.get(slots_url(slot)).status_code == 429
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        assert client.get(slots_url(slot)).status_code == 200


# ---- The PDF link


def test_the_pdf_link_gives_the_confirmation(client, token, slot):
    url = book(client, token, slot).json()["pdf_url"]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_tampered_or_expired_pdf_link_is_refused(client, token, slot):
    url = book(client, token, slot).json()["pdf_url"]
    code = Booking.objects.get().code
    signature = parse_qs(urlsplit(url).query)["sig"][0]

    tampered = client.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert tampered.status_code == 403
    assert tampered.json()["error"] == "link_invalid"
    other_code = client.get(f"/api/v1/bookings/ZZZZZZZZ/pdf/?sig={signature}")
    assert other_code.status_code == 403
    assert client.get(f"/api/v1/bookings/{code}/pdf/").status_code == 403
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        assert client.get(url).status_code == 403


def test_the_pdf_link_serves_the_stored_copy_and_a_fresh_one_after_a_cancellation(
    client, token, slot
):
    from core.uploads import private_storage

    url = book(client, token, slot).json()["pdf_url"]
    code = Booking.objects.get().code
    booked = client.get(url)
    folder = f"printouts/bookings/{code}"
    assert private_storage.listdir(folder)[1]  # stored by the first download
    assert client.get(url).content == booked.content
    assert client.get(f"/api/v1/bookings/{code}/pdf/?sig=x").status_code == 403

    Booking.objects.filter(code=code).update(status=BookingStatus.CANCELLED)
    cancelled = client.get(url)
    assert cancelled.status_code == 200 and cancelled.content != booked.content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(cancelled.content)).pages)
    assert "已取消" in text


def test_a_signed_link_to_a_booking_that_is_gone_is_404(client):
    from appointments.api import pdf_signature

    response = client.get(f"/api/v1/bookings/ZZZZZZZZ/pdf/?sig={pdf_signature('ZZZZZZZZ')}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


# ---- The schema


def test_the_schema_documents_the_booking_api(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    assert {
        "/api/v1/slots/",
        "/api/v1/bookings/",
        "/api/v1/bookings/{code}/",
        "/api/v1/bookings/{code}/cancel/",
        "/api/v1/bookings/{code}/pdf/",
    } <= set(paths)
    create = paths["/api/v1/bookings/"]["post"]
    assert create["security"] == [{"tokenAuth": []}]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
