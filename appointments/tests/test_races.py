"""Race tests on PostgreSQL: many residents press "book" at the same moment.

Each attempt runs in its own thread with its own database connection, all released together by a
barrier. PostgreSQL allows `max_connections` (100 by default) connections for the whole server,
shared with other databases, so at most `db_workers()` attempts (80 at most) hold a connection at
once; the others wait at a semaphore and go in as soon as one finishes. Every attempt still starts
at the same moment, and 80 transactions at once on one slot row is a real race.

SQLite serialises every write, so these tests prove nothing there and are skipped.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/race_<you> \
     pytest appointments/tests/test_races.py
"""

import datetime as dt
import http.client
import json
import os
import socket
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.core.servers.basehttp import WSGIServer
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections
from django.test.testcases import QuietWSGIRequestHandler
from django.utils import timezone

from accounts.actions import api_client_create
from appointments import actions
from appointments.constants import BookingStatus, WaitStatus
from appointments.errors import DuplicateBooking, OfferExpired
from appointments.models import Booking, Slot, WaitingListEntry
from appointments.tests.factories import ScheduleFactory, SlotFactory
from core.tests.factories import id_number
from services.tests.factories import ServiceFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="race tests need PostgreSQL: set DATABASE_URL=postgres://… (SQLite serialises "
        "every write, so a race there proves nothing)",
    ),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTEMPTS = 200


def tomorrow(hour: int = 10, minute: int = 0, *, days: int = 1) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def db_workers(limit: int = 80) -> int:
    """How many connections this test may hold at once, leaving room for everyone else.

    `make test` runs pytest-xdist workers side by side, and two of them may be in a race test at
    the same moment: each counting the connections free at its start took them all between them
    ("sorry, too many clients already", answered 500). So a worker takes only its share of the
    server's connections."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        allowed = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        in_use = cursor.fetchone()[0]
    share = (allowed - 10) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) - 5
    return max(10, min(limit, share, allowed - in_use - 10))


def run_together(calls, *, workers: int | None = None) -> list:
    """Run every call in its own thread, all released at once; returns results or exceptions."""
    workers = workers or db_workers()
    barrier = threading.Barrier(len(calls))
    gate = threading.BoundedSemaphore(workers)
    results: list = [None] * len(calls)

    def attempt(index: int, call) -> None:
        barrier.wait()
        with gate:
            try:
                results[index] = call()
            except Exception as error:  # the result under test
                results[index] = error
            finally:
                connection.close()  # this thread's own connection

    threads = [threading.Thread(target=attempt, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an attempt hung"
    return results


def outcomes(results: list) -> Counter:
    return Counter(type(r).__name__ for r in results)


def booking_call(slot: Slot, person: int, service=None):
    service = service or slot.schedule.services.first()

    def call() -> Booking:
        return actions.booking_create(
            slot_id=slot.pk,
            service=service,
            name="张三",
            id_number=id_number(person),
            phone="13800138000",
        )

    return call


def test_200_residents_at_a_slot_with_5_places_get_exactly_5_bookings():
    slot = SlotFactory(start=tomorrow(), capacity=5, bookable=5)

    results = run_together([booking_call(slot, person) for person in range(ATTEMPTS)])

    assert outcomes(results) == {"Booking": 5, "SlotFull": ATTEMPTS - 5}
    slot.refresh_from_db()
    assert slot.booked == 5
    assert Booking.objects.filter(slot=slot, status=BookingStatus.BOOKED).count() == 5
    assert len({r.id_number_hmac for r in results if isinstance(r, Booking)}) == 5


def test_one_person_on_20_slots_of_one_service_gets_one_booking():
    schedule = ScheduleFactory(periods=False)
    slots = [
        SlotFactory(schedule=schedule, start=tomorrow(9 + i % 5, days=1 + i // 5), bookable=3)
        for i in range(20)
    ]

    results = run_together([booking_call(slot, 7) for slot in slots])

    assert outcomes(results) == {"Booking": 1, "DuplicateBooking": 19}
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1
    assert sum(Slot.objects.values_list("booked", flat=True)) == 1


def test_the_daily_limit_holds_under_concurrency(settings):
    limit = settings.BOOKING["DAILY_LIMIT_PER_PERSON"]
    services = ServiceFactory.create_batch(20)
    slot = SlotFactory(
        start=tomorrow(), schedule=ScheduleFactory(services=services), capacity=30, bookable=30
    )

    results = run_together([booking_call(slot, 7, service) for service in services])

    assert outcomes(results) == {"Booking": limit, "DailyLimit": 20 - limit}
    slot.refresh_from_db()
    assert slot.booked == limit == Booking.objects.count()


def test_mixed_residents_and_repeat_clicks_never_overbook():
    """Three slots of 5, 100 residents each clicking twice at random slots: each resident gets at
    most one booking, no slot more than 5."""
    schedule = ScheduleFactory(periods=False)
    slots = [
        SlotFactory(schedule=schedule, start=tomorrow(9 + i), capacity=5, bookable=5)
        for i in range(3)
    ]
    calls = [booking_call(slots[(p + k) % 3], p) for p in range(100) for k in (0, 1)]

    results = run_together(calls)

    assert set(outcomes(results)) <= {"Booking", "SlotFull", "DuplicateBooking"}
    assert outcomes(results)["Booking"] == 15
    for slot in slots:
        slot.refresh_from_db()
        assert slot.booked == slot.bookings.filter(status=BookingStatus.BOOKED).count() == 5
    per_person = Counter(r.id_number_hmac for r in results if isinstance(r, Booking))
    assert max(per_person.values()) == 1


def test_a_cancelled_place_comes_back_exactly_once_however_many_jobs_run():
    slot = SlotFactory(start=tomorrow(), capacity=5, bookable=5)
    bookings = [booking_call(slot, person)() for person in range(3)]
    for booking in bookings:
        actions.booking_cancel(booking=booking)
    later = timezone.now() + dt.timedelta(minutes=31)

    results = run_together(
        [lambda: actions.slot_release_embargoed_places(now=later) for _ in range(20)]
    )

    assert sum(results) == 3
    slot.refresh_from_db()
    assert slot.booked == 0


def test_an_offer_link_clicked_many_times_at_once_books_once():
    slot = SlotFactory(start=tomorrow(), bookable=1)
    booking = booking_call(slot, 1)()
    entry = actions.waiting_join(
        office=slot.office,
        service=slot.schedule.services.first(),
        day=tomorrow().date(),
        name="候补",
        id_number=id_number(2),
        phone="13900139000",
    )
    actions.booking_cancel(booking=booking)
    actions.slot_release_embargoed_places(now=timezone.now() + dt.timedelta(minutes=31))
    entry.refresh_from_db()
    assert entry.status == WaitStatus.OFFERED
    token = actions.waiting_offer_token(entry)

    results = run_together([lambda: actions.waiting_accept(token=token) for _ in range(20)])

    counts = outcomes(results)
    assert counts["Booking"] == 1
    assert set(counts) <= {"Booking", "OfferExpired", "DuplicateBooking"}
    assert all(isinstance(r, Booking | OfferExpired | DuplicateBooking) for r in results)
    slot.refresh_from_db()
    assert slot.booked == 1
    assert WaitingListEntry.objects.get().status == WaitStatus.BOOKED


# --- real parallel HTTP requests -------------------------------------------------------------


class PooledWSGIServer(WSGIServer):
    """The WSGI app on a pool of `workers` threads, like gunicorn's gthread worker: many client
    connections wait in the listen backlog, `workers` requests run at once. Each request closes
    its thread's database connection when it is done."""

    request_queue_size = 1024

    def __init__(self, *args, workers: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="wsgi")

    def process_request(self, request, client_address) -> None:
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            connections.close_all()

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=True)


@pytest.fixture
def server_url():
    server = PooledWSGIServer(
        ("127.0.0.1", 0),
        QuietWSGIRequestHandler,
        allow_reuse_address=False,
        workers=db_workers(60),
    )
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post_all(port: int, bodies: list[dict], headers: dict) -> list[tuple[int, dict]]:
    """POST every body at once from its own client thread (all connected, then all sent)."""
    barrier = threading.Barrier(len(bodies))

    def post(body: dict) -> tuple[int, dict]:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            client.connect()
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            barrier.wait()
            client.request("POST", "/api/v1/bookings/", body=json.dumps(body), headers=headers)
            response = client.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
        finally:
            client.close()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def api_headers() -> dict:
    _client, token = api_client_create(name="race test", rate="100000/minute")
    return {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept-Language": "en",
    }


def booking_body(slot: Slot, person: int) -> dict:
    return {
        "slot": slot.pk,
        "service": slot.schedule.services.first().code,
        "name": "张三",
        "id_number": id_number(person),
        "phone": "13800138000",
    }


def test_200_parallel_api_requests_at_5_places_give_5_created_and_clean_409s(server_url):
    slot = SlotFactory(start=tomorrow(), capacity=5, bookable=5)
    headers = api_headers()

    answers = post_all(server_url, [booking_body(slot, p) for p in range(ATTEMPTS)], headers)

    statuses = Counter(status for status, _body in answers)
    assert statuses == {201: 5, 409: ATTEMPTS - 5}, statuses
    assert {body["error"] for status, body in answers if status == 409} == {"slot_full"}
    created = [body for status, body in answers if status == 201]
    assert len({body["code"] for body in created}) == 5
    assert all(body["status"] == "booked" for body in created)
    slot.refresh_from_db()
    assert slot.booked == 5 == Booking.objects.filter(slot=slot).count()


def test_parallel_retries_with_one_idempotency_key_book_once(server_url):
    slot = SlotFactory(start=tomorrow(), capacity=5, bookable=5)
    headers = {**api_headers(), "Idempotency-Key": "7d0c1e52-retry"}

    answers = post_all(server_url, [booking_body(slot, 1)] * 20, headers)

    assert {status for status, _body in answers} == {201}
    assert len({body["code"] for _status, body in answers}) == 1
    slot.refresh_from_db()
    assert slot.booked == 1 == Booking.objects.count()


def test_residents_racing_for_a_bundle_visit_get_exactly_its_places():
    """一件事 visits go through booking_create's capacity guard: no overbooking either."""
    from appointments.tests.factories import bundle_visit

    bundle, _parts, slot = bundle_visit(bookable=3, start=tomorrow())

    def call(person: int):
        return lambda: actions.booking_create_bundle(
            bundle=bundle, slot_id=slot.pk, name="张三", id_number=id_number(person),
            phone="13800138000",
        )

    results = run_together([call(person) for person in range(60)])

    assert outcomes(results) == {"Booking": 3, "SlotFull": 57}
    slot.refresh_from_db()
    assert slot.booked == 3
    booked = Booking.objects.filter(slot=slot, bundle=bundle, status=BookingStatus.BOOKED)
    assert booked.count() == 3
