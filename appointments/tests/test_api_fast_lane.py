"""POST /api/v1/bookings/ answers the common case without DRF's per-request machinery
(BookingCreateView._fast_post, issue 13 item 5). These tests send the same requests down both
ways — `Content-Type: application/json` takes the fast lane, `application/json;charset=utf-8`
(a parameter the lane leaves to DRF) takes DRF's — and compare what a partner receives."""

import datetime as dt
import json
import os
import uuid
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actions import api_client_create
from accounts.models import ApiClient, AuditEntry
from appointments.models import Booking
from appointments.tests.factories import SlotFactory
from core.models import OutboxMessage
from core.tests.factories import id_number

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 4, 10, 0, tzinfo=SHANGHAI)
URL = "/api/v1/bookings/"
FAST, DRF = "application/json", "application/json;charset=utf-8"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token():
    return api_client_create(name="partner")[1]


@pytest.fixture
def slot():
    return SlotFactory(start=NOW + dt.timedelta(days=1), capacity=20, bookable=20)


def send(client, data, token, content_type, raw=None, **headers):
    return client.post(
        URL,
        raw if raw is not None else json.dumps(data),
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )


def body(slot_, person, **changed):
    return {
        "slot": slot_.pk,
        "service": slot_.schedule.services.first().code,
        "name": "张三",
        "id_number": id_number(person),
        "phone": "13800138000",
        **changed,
    }


def answer(response):
    return response.status_code, response.json(), response["Allow"], response["Content-Type"]


def test_a_booking_is_answered_alike_both_ways(client, token, slot):
    fast = send(client, body(slot, 1, name="  张三 ", email=" zhang@example.com "), token, FAST)
    drf = send(client, body(slot, 2, name="  张三 ", email=" zhang@example.com "), token, DRF)

    assert fast.status_code == drf.status_code == 201
    assert (fast["Allow"], fast["Content-Type"]) == (drf["Allow"], drf["Content-Type"])
    one, two = fast.json(), drf.json()
    for data in (one, two):
        booking = Booking.objects.get(code=data.pop("code"))
        assert (booking.name, booking.email, booking.api_client) == (
            "张三",
            "zhang@example.com",
            "partner",
        )
        assert urlsplit(data.pop("pdf_url")).path == f"/api/v1/bookings/{booking.code}/pdf/"
    assert one == two
    assert Booking.objects.count() == 2


@pytest.mark.parametrize(
    "changed",
    [
        {"slot": "abc"},
        {"slot": 0},
        {"slot": True},
        {"slot": 10**9},  # no such slot
        {"slot": None},
        {"service": "nothing"},
        {"service": 7},
        {"name": "   "},
        {"name": "张" * 51},
        {"name": "a\x00b"},
        {"id_number": "430102199005170000"},
        {"id_number": 430102199005171234},
        {"phone": "1380013800"},
        {"phone": None},
        {"phone": " 1380013800 0"},
        {"email": "not-an-address"},
        {"email": 5},
    ],
)
def test_invalid_input_gets_the_same_field_errors_both_ways(client, token, slot, changed):
    # Each answered by DRF's serializer, whichever way it came.
    data = body(slot, 1, **changed)
    fast, drf = send(client, data, token, FAST), send(client, data, token, DRF)

    assert answer(fast) == answer(drf)
    assert fast.status_code == 400
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    "raw", ["", "[1, 2]", "{not json", '{"slot": NaN}', "1" * 10, '{"slot": 1e400}']
)
def test_a_body_that_is_not_a_booking_gets_the_same_answer_both_ways(client, token, raw):
    fast, drf = send(client, None, token, FAST, raw=raw), send(client, None, token, DRF, raw=raw)
    assert answer(fast) == answer(drf)
    assert fast.status_code == 400


def test_refusals_are_answered_alike_both_ways(client, token, slot):
    full = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=1), booked=3)
    assert send(client, body(slot, 1), token, FAST).status_code == 201

    for data, code in [(body(full, 5), "slot_full"), (body(slot, 1), "duplicate")]:
        fast, drf = send(client, data, token, FAST), send(client, data, token, DRF)
        assert answer(fast) == answer(drf)
        assert (fast.status_code, fast.json()["error"]) == (409, code)
    assert Booking.objects.count() == 1


def test_a_replayed_booking_is_the_same_answer_whichever_way_came_first(client, token, slot):
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = send(client, body(slot, 1), token, FAST, **key)
    again_fast = send(client, body(slot, 1), token, FAST, **key)
    again_drf = send(client, body(slot, 1), token, DRF, **key)
    other = send(client, body(slot, 2), token, FAST, **key)

    assert first.status_code == again_fast.status_code == again_drf.status_code == 201
    assert first.json() == again_fast.json() == again_drf.json()
    assert again_fast["Idempotent-Replayed"] == again_drf["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert Booking.objects.count() == 1


def test_without_a_valid_token_the_answer_is_drfs_401(client, slot):
    for header in ({}, {"HTTP_AUTHORIZATION": "Token wrong"}):
        response = client.post(URL, json.dumps(body(slot, 1)), content_type=FAST, **header)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    assert Booking.objects.count() == 0


def test_the_fast_lane_counts_against_the_clients_rate(client, settings, slot):
    api, token = api_client_create(name="limited", rate="2/minute")
    codes = [send(client, body(slot, n), token, FAST).status_code for n in range(1, 4)]
    assert codes == [201, 201, 429]
    refused = send(client, body(slot, 4), token, FAST)
    assert refused.status_code == 429
    assert refused.json()["error"] == "throttled"
    assert "Retry-After" in refused
    assert Booking.objects.count() == 2


def test_a_revoked_token_is_refused_once_the_kept_copy_expires(client, settings, slot):
    settings.API_LOOKUP_CACHE_SECONDS = 5
    api, token = api_client_create(name="revoked soon")
    assert send(client, body(slot, 1), token, FAST).status_code == 201
    ApiClient.objects.filter(pk=api.pk).update(is_active=False)  # as the admin's "active" box

    with time_machine.travel(NOW + dt.timedelta(seconds=4), tick=False):
        assert send(client, body(slot, 2), token, FAST).status_code == 201  # within 5 s
    with time_machine.travel(NOW + dt.timedelta(seconds=5), tick=False):
        refused = send(client, body(slot, 3), token, FAST)
    assert (refused.status_code, refused.json()["error"]) == (401, "authentication_failed")

    settings.API_LOOKUP_CACHE_SECONDS = 0  # read at every request: refused at once
    api, token = api_client_create(name="revoked now")
    assert send(client, body(slot, 4), token, FAST).status_code == 201
    ApiClient.objects.filter(pk=api.pk).update(is_active=False)
    assert send(client, body(slot, 5), token, FAST).status_code == 401


def test_a_service_withdrawn_in_the_admin_is_refused_at_once(client, token, slot):
    service = slot.schedule.services.first()
    assert send(client, body(slot, 1), token, FAST).status_code == 201
    service.is_active = False
    service.save()  # this process forgets its copy; the others within the seconds above

    response = send(client, body(slot, 2), token, FAST)

    assert response.status_code == 400
    assert list(response.json()) == ["service"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement steps need it")
def test_a_booking_takes_three_statements_on_postgresql(client, token, slot):
    send(client, body(slot, 1), token, FAST)  # the client and the service are kept from here
    second = body(slot, 2)
    with CaptureQueriesContext(connection) as queries:
        response = send(client, second, token, FAST)
    assert response.status_code == 201
    # (Inside the test's transaction the booking's own is a savepoint.)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    # The checks, the quota + place + booking, the audit entry + the outbox row.
    assert len(statements) == 3, statements
    booking = Booking.objects.get(code=response.json()["code"])
    assert AuditEntry.objects.filter(object_id=str(booking.pk), action="create").count() == 1
    assert OutboxMessage.objects.filter(args=[booking.pk, "confirmed"]).count() == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a running Redis)")
def test_with_the_redis_cache_the_rate_is_counted_alike(client, settings, slot):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"fast-lane-{os.getpid()}-{uuid.uuid4().hex}",
        }
    }
    api, token = api_client_create(name="limited", rate="2/minute")
    codes = [send(client, body(slot, n), token, way).status_code for n, way in
             [(1, FAST), (2, DRF), (3, FAST), (4, DRF)]]  # fmt: skip
    with time_machine.travel(NOW + dt.timedelta(seconds=20), tick=False):
        refused = send(client, body(slot, 5), token, FAST)
    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        again = send(client, body(slot, 6), token, FAST)

    assert codes == [201, 201, 429, 429]
    assert (refused.status_code, refused["Retry-After"]) == (429, "40")  # the first leaves at 60 s
    assert again.status_code == 201
    assert Booking.objects.count() == 3



def test_the_short_chain_answers_with_the_full_chains_headers_and_audit(client, token, slot):
    """The lane runs on core.api_lane's short chain; DRF's way on the full one. A partner gets
    the same headers (security, caching, language), less `Vary: Cookie` (no session is read),
    and the audit entries name the same address and client as ever."""
    full = SlotFactory(schedule=slot.schedule, start=slot.start + dt.timedelta(hours=1), booked=3)
    agent = {"HTTP_USER_AGENT": "partner/1.0", "REMOTE_ADDR": "203.0.113.7"}
    pairs = [
        (send(client, body(slot, 1), token, FAST, **agent),
         send(client, body(slot, 2), token, DRF, **agent)),
        (send(client, body(full, 3), token, FAST, **agent),
         send(client, body(full, 4), token, DRF, **agent)),
    ]  # fmt: skip

    def headers(response):
        found = dict(response.headers)
        found.pop("X-Request-ID")
        found["Vary"] = found["Vary"].replace(", Cookie", "")
        return found

    for fast, drf in pairs:
        assert "Cookie" not in fast["Vary"] and "Cookie" in drf["Vary"]  # the short chain ran
        assert headers(fast) == headers(drf)
        assert "X-Request-ID" in fast and fast["Cache-Control"] == "private, no-store"
    assert [p[0].status_code for p in pairs] == [201, 409]
    entries = AuditEntry.objects.filter(object_type="appointments.booking")
    assert sorted((e.ip, e.user_agent, e.actor_id) for e in entries) == [
        ("203.0.113.7", "partner/1.0", None)
    ] * 2


def test_with_a_session_cookie_the_full_chain_answers(client, token, slot):
    client.cookies["sessionid"] = "no-such-session"
    response = send(client, body(slot, 1), token, FAST)
    assert response.status_code == 201
    assert "Cookie" in response["Vary"]  # the session middleware ran
