"""The waiting room of release time (core/waiting_room.py): a real Redis (REDIS_URL), real
threads for the parallel arrivals, the real middleware through Django's test client."""

import os
import threading
import time

import pytest
import time_machine
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from core import waiting_room
from core.redis import client_made
from tests.processes import wait_for

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (the waiting room keeps its line in Redis)"
)
API = "/api/v1/bookings/"
PAGE = "/en/book/id-card/office-1/"  # appointments:book_time; the line stands before the view


def post(client: Client):
    return client.post(API, data="{}", content_type="application/json")


@needs_redis
def test_parallel_arrivals_get_distinct_places_and_are_admitted_first_come_first_served(room):
    room.update(RATE=25.0, MIN_RATE=25.0)
    holders = [f"resident-{n}" for n in range(60)]
    tickets: dict[str, int] = {}
    barrier = threading.Barrier(len(holders))

    def arrive(holder):
        barrier.wait()
        tickets[holder] = waiting_room.place_take(holder).ticket

    threads = [threading.Thread(target=arrive, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets.values()) == list(range(1, len(holders) + 1))  # one place each, no gap

    # Each round asks for every waiting resident, the last in line first (the order that would
    # expose a later ticket overtaking an earlier one): the round of admission never decreases
    # along the line.
    admitted_in: dict[str, int] = {}
    rounds = 0
    deadline = time.monotonic() + 30
    while len(admitted_in) < len(holders):
        assert time.monotonic() < deadline, "the line did not move"
        rounds += 1
        for holder in sorted(set(holders) - set(admitted_in), key=tickets.get, reverse=True):
            place = waiting_room.place_take(holder)
            assert place.ticket == tickets[holder]  # asking again keeps the place
            if place.admitted:
                admitted_in[holder] = rounds
            else:
                assert place.position >= 1 and place.wait_seconds >= 1
        time.sleep(0.05)  # the line moves with time; the next round looks again
    order = [admitted_in[h] for h in sorted(holders, key=tickets.get)]
    assert order == sorted(order)
    assert rounds > 2  # admitted over time at the rate, not all at once


@needs_redis
@pytest.mark.django_db
def test_refreshing_keeps_the_place_and_throwing_cookies_away_goes_to_the_back(room):
    room.update(RATE=0.001)  # nobody behind the first second's burst moves during the test
    first, second = Client(), Client()
    answers = [post(first) for _ in range(3)]
    behind = post(second)
    answers += [post(first) for _ in range(3)]
    tickets = {int(a["X-Waiting-Room-Ticket"]) for a in answers}
    assert len(tickets) == 1  # six refreshes, one place
    place = answers[0].cookies[waiting_room.COOKIE]
    assert place["httponly"] and place["samesite"] == "Lax"
    assert not place["secure"]  # plain http here: a secure cookie would not come back
    assert all(a.status_code == 503 for a in answers)
    assert int(behind["X-Waiting-Room-Ticket"]) > tickets.pop()
    assert {a.json()["position"] for a in answers} == {answers[0].json()["position"]}

    # A script that drops its cookie (a new client each time) lands behind everyone.
    fresh = [int(post(Client())["X-Waiting-Room-Ticket"]) for _ in range(3)]
    assert fresh == sorted(fresh) and fresh[0] > int(behind["X-Waiting-Room-Ticket"])
    # A forged cookie is no cookie: a new place at the back, not someone else's.
    forger = Client()
    forger.cookies[waiting_room.COOKIE] = "1:forged:place"
    assert int(post(forger)["X-Waiting-Room-Ticket"]) > fresh[-1]


@needs_redis
@pytest.mark.django_db
def test_api_clients_get_503_with_retry_after_and_their_position(room):
    room.update(RATE=0.001)
    ahead = Client()
    post(ahead)
    answer = post(Client())
    assert answer.status_code == 503
    retry = int(answer["Retry-After"])
    assert 2 <= retry <= room["REFRESH_MAX_SECONDS"]
    body = answer.json()
    assert body["error"] == "waiting_room"
    assert body["position"] >= 1 and body["estimated_wait_seconds"] >= 1
    assert body["detail"]


@needs_redis
@pytest.mark.django_db
def test_the_waiting_page_shows_position_and_wait_and_refreshes_itself(room):
    room.update(RATE=0.001)
    Client().get(PAGE)
    page = Client().get(PAGE)
    assert page.status_code == 503 and int(page["Retry-After"]) >= 2
    html = page.content.decode()
    assert "You are in line" in html and "Your place in line" in html
    assert f'http-equiv="refresh" content="{page["Retry-After"]}"' in html
    assert "<script" not in html.split("</head>")[1]  # the page works without JavaScript
    # Between refreshes its script counts the position down at the admission rate.
    position = page.context["place"].position
    assert f'data-waiting-position="{position}" data-waiting-rate="0.001"' in html
    assert "js/waiting_room.js" in html.split("</head>")[0]
    chinese = Client().get(PAGE.replace("/en/", "/zh-hans/")).content.decode()
    assert "您正在排队" in chinese


@needs_redis
@pytest.mark.django_db
def test_an_admission_is_valid_for_its_time_then_the_resident_queues_again(room):
    # One place in flight at a time and a line that barely moves: the empty room admits the
    # first arrival at once, and nobody after it for the rest of the test.
    room.update(ADMISSION_SECONDS=3, RATE=0.001, MAX_INFLIGHT=1)
    resident = Client()
    asked = time.monotonic()
    admitted = post(resident)
    assert admitted.status_code != 503
    ticket = int(admitted["X-Waiting-Room-Ticket"])
    assert post(resident).status_code != 503  # within the admission: still in
    again = wait_for(lambda: (a := post(resident)).status_code == 503 and a, 15, "the expiry")
    assert time.monotonic() - asked >= 2.9  # not before the admission's 3 seconds were over
    assert int(again["X-Waiting-Room-Ticket"]) > ticket  # a new place, at the back


@pytest.mark.django_db
def test_off_and_auto_outside_the_windows_never_touch_redis(settings):
    # A Redis URL that nothing serves: any call would show as a client created for it.
    url = "redis://127.0.0.1:1/0"
    assert not client_made(url)
    waiting_room.meter.reset()
    for mode in ("off", "auto"):
        settings.WAITING_ROOM = {
            **settings.WAITING_ROOM, "MODE": mode, "REDIS_URL": url, "WINDOWS": ["03:00-03:30"],
        }  # fmt: skip
        with time_machine.travel("2026-01-05 08:00 +0800", tick=False):
            for _ in range(3):
                assert post(Client()).status_code != 503
                assert Client().get(PAGE).status_code != 503
    assert not client_made(url)


def test_auto_mode_opens_during_a_release_window(settings):
    settings.WAITING_ROOM = {
        **settings.WAITING_ROOM, "MODE": "auto", "REDIS_URL": "redis://x",
        "WINDOWS": ["07:55-08:30"],
    }  # fmt: skip
    with time_machine.travel("2026-01-05 08:10 +0800", tick=False):
        assert waiting_room.active()
    with time_machine.travel("2026-01-05 08:31 +0800", tick=False):
        assert not waiting_room.active()


@pytest.mark.django_db
def test_auto_mode_opens_when_the_booking_paths_get_slow(settings):
    settings.WAITING_ROOM = {
        **settings.WAITING_ROOM, "MODE": "auto", "REDIS_URL": "redis://127.0.0.1:1/0",
        "TRIGGER_MS": 0.0, "WINDOWS": [],
    }  # fmt: skip
    waiting_room.meter.reset()
    try:
        assert not waiting_room.active()
        for _ in range(20):
            post(Client())
        assert waiting_room.active()  # every request measured slower than 0 ms
    finally:
        waiting_room.meter.reset()


@needs_redis
@pytest.mark.django_db
def test_the_rate_drops_while_admitted_requests_are_slower_than_the_target(room):
    room.update(RATE=100.0, MIN_RATE=1.0, LATENCY_TARGET_MS=250.0)
    for _ in range(5):
        waiting_room.meter.add(2000.0)
    first = waiting_room.place_take("probe-1")
    assert first.rate == pytest.approx(50.0)  # cut in proportion to the latency, at most by half
    assert waiting_room.place_take("probe-2").rate == pytest.approx(50.0)  # once a second at most


@needs_redis
def test_the_line_stops_while_the_admitted_requests_in_flight_reach_the_limit(room):
    room.update(RATE=1e6, MAX_INFLIGHT=2)
    assert waiting_room.place_take("first", "req-1").admitted  # an idle room admits at once
    assert not waiting_room.place_take("second", "req-2a").admitted  # busy: a place first
    assert waiting_room.place_take("second", "req-2").admitted  # two requests being served
    waiting_room.place_take("third", "req-3a")  # the line had reached its place already
    assert not waiting_room.place_take("fourth", "req-4a").admitted
    # Two requests being served: the door holds whatever the rate.
    assert not waiting_room.place_take("fourth", "req-4b").admitted
    waiting_room.inflight_done("req-1")
    assert waiting_room.place_take("fourth", "req-4c").admitted


@needs_redis
@pytest.mark.django_db
def test_in_a_busy_room_residents_come_back_with_the_turn_cookie_and_are_admitted(room):
    room.update(RATE=1e6)
    assert post(Client()).status_code != 503  # an idle room: the first arrival is in at once
    resident = Client()
    first = post(resident)
    # A busy room: a place, and the turn cookie the balancer serves first, even with the line
    # already past this place; the next request is admitted.
    assert first.status_code == 503 and first.json()["position"] == 1
    assert first.cookies[waiting_room.TURN_COOKIE]["httponly"]
    assert first.json()["retry_after_ms"] < 1000 < int(first["Retry-After"]) * 1000  # due now
    again = post(resident)
    assert again.status_code != 503
    assert again["X-Waiting-Room-Ticket"] == first["X-Waiting-Room-Ticket"]


@needs_redis
@pytest.mark.django_db
def test_far_back_in_line_there_is_no_turn_cookie(room):
    room.update(RATE=0.001)
    post(Client())
    far = post(Client())
    assert far.status_code == 503 and waiting_room.TURN_COOKIE not in far.cookies
    assert far.json()["retry_after_ms"] == int(far["Retry-After"]) * 1000


@needs_redis
@pytest.mark.django_db
def test_the_measured_latency_counts_from_the_arrival_at_the_balancer(room, settings):
    # A request that waited 3 s in the balancer's queue (its X-Request-Start) counts 3 s slow.
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]  # the test client's peer: our balancer
    stamp = f"t={int((time.time() - 3) * 1e6)}"
    Client().post(API, data="{}", content_type="application/json", HTTP_X_REQUEST_START=stamp)
    assert waiting_room.meter.mean_ms >= 3000
    waiting_room.meter.reset()
    waiting_room.room_reset(REDIS_URL)  # an idle room again: the next arrival is in at once
    Client().post(API, data="{}", content_type="application/json", HTTP_X_REQUEST_START="t=x")
    assert 0 <= waiting_room.meter.mean_ms < 3000  # no usable stamp: measured from now


@needs_redis
@pytest.mark.django_db
def test_a_stamp_forged_by_a_client_does_not_slow_the_room(room, settings):
    # The same stamp from a peer that is not our balancer: a client's own header, ignored, so
    # nobody can drive the admission rate down by claiming their requests waited.
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    stamp = f"t={int((time.time() - 50) * 1e6)}"
    Client().post(API, data="{}", content_type="application/json", HTTP_X_REQUEST_START=stamp)
    assert 0 <= waiting_room.meter.mean_ms < 3000


@given(
    ahead=st.integers(min_value=1, max_value=20_000),
    rate=st.floats(min_value=0.5, max_value=100.0),
    top=st.floats(min_value=1.0, max_value=200.0),
)
def test_a_resident_back_at_its_earliest_turn_has_not_been_passed(ahead, rate, top):
    # The line at its fastest: the rate a quarter higher every second (the script's rule, the
    # first raise at once), up to the highest rate. By the time earliest_turn names, it has not
    # gone past the place.
    place = waiting_room.Place(False, 1000 + ahead, 1000.0, rate, 0)
    soonest = place.earliest_turn(top)
    highest, moved, second = max(rate, top), 0.0, 0
    while second < soonest:
        fastest = min(highest, rate * waiting_room.GROWTH ** min(second + 1, 100))
        moved += fastest * (min(second + 1, soonest) - second)
        second += 1
    assert moved <= ahead * (1 + 1e-9)
    # ... and it is not needlessly early: at the top rate all along, it is the plain wait.
    assert soonest >= ahead / max(rate, top) - 1e-9


def test_far_back_in_line_a_resident_asks_a_few_times_not_every_few_seconds():
    # 3,000 places back, the line moving 60 a second: one answer brings it back shortly before
    # the line can reach it (about 50 s), not every REFRESH_MAX_SECONDS of a short setting.
    far = waiting_room.Place(False, 3100, 100.0, 60.0, 0)
    assert far.retry_seconds(60, 60.0) == 48
    # The rate cut to 6 a second (slow admitted requests): the line may climb back to 60 within
    # about ten seconds, so the resident is back after 53 s, not after 500.
    assert waiting_room.Place(False, 3100, 100.0, 6.0, 0).retry_seconds(120, 60.0) == 53
    # Never later than the longest interval, never sooner than 2 s.
    assert far.retry_seconds(20, 60.0) == 20
    assert waiting_room.Place(False, 103, 100.0, 60.0, 0).retry_seconds(60, 60.0) == 2
