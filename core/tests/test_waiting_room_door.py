"""The waiting room's front door (core/waiting_room_door.py): the room's API answers written
before Django's request cycle, through a real WSGI call and a real Redis (REDIS_URL)."""

import json
from http.cookies import SimpleCookie

import pytest
from django.core.wsgi import get_wsgi_application
from django.test import RequestFactory

from core.redis import client_made
from core.tests.test_waiting_room import API, PAGE, needs_redis
from core.waiting_room_door import WaitingRoomDoor


class Counted:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.django = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


class Device:
    """A client of the door keeping its cookies, as a browser or an app would."""

    def __init__(self, door: WaitingRoomDoor) -> None:
        self.door, self.cookies = door, SimpleCookie()

    def call(self, method: str = "post", path: str = API) -> tuple[int, dict, bytes]:
        cookie = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        factory = RequestFactory()
        request = getattr(factory, method)(
            path, data="{}" if method == "post" else None, content_type="application/json",
            HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE="zh-hans",
        )  # fmt: skip
        answer: dict = {}

        def start_response(status, headers):
            answer["status"], answer["headers"] = int(status.split()[0]), headers

        body = b"".join(self.door(request.environ, start_response))
        headers: dict = {}
        for name, value in answer["headers"]:
            if name == "Set-Cookie":
                self.cookies.load(value)
            headers[name] = value
        return answer["status"], headers, body


@pytest.fixture
def door():
    door = WaitingRoomDoor(Counted())
    # Django's first request loads the URLconf and the API's classes (a second or more): the
    # tests' busy rooms must not go idle meanwhile.
    Device(door).call("post", "/api/v1/no-such-path/")
    door.application.calls = 0
    return door


@needs_redis
@pytest.mark.django_db
def test_the_door_answers_a_waiting_resident_without_django_and_keeps_its_place(room, door):
    room.update(RATE=0.001)  # the line does not move during the test
    Device(door).call()
    resident = Device(door)
    answers = [resident.call() for _ in range(3)]
    assert door.application.calls == 0  # four waiting answers, none of them Django's
    tickets = {headers["X-Waiting-Room-Ticket"] for _, headers, _ in answers}
    assert len(tickets) == 1  # asking again keeps the place (the cookie the door set)
    status, headers, body = answers[-1]
    data = json.loads(body)
    assert status == 503 and data["error"] == "waiting_room" and data["position"] >= 1
    assert int(headers["Retry-After"]) == data["retry_after"] >= 2
    assert "排队" in data["detail"] and headers["Content-Language"] == "zh-hans"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Request-ID"]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


@needs_redis
@pytest.mark.django_db
def test_an_admitted_request_goes_on_to_django_holding_one_place_and_one_entry(room, door):
    # One request in flight at a time: an entry the door left behind would shut the line.
    room.update(RATE=1e6, MAX_INFLIGHT=1)
    first = Device(door)
    status, headers, _ = first.call()
    assert status != 503 and door.application.calls == 1
    ticket = headers["X-Waiting-Room-Ticket"]
    second = Device(door)
    assert second.call()[0] == 503  # a busy room: a place first (with the turn cookie)
    status, headers, _ = second.call()
    assert status != 503  # the first request's entry ended: the door is open again
    assert int(headers["X-Waiting-Room-Ticket"]) == int(ticket) + 1  # one place each
    assert first.call()[1]["X-Waiting-Room-Ticket"] == ticket  # the admission holds


@needs_redis
@pytest.mark.django_db
def test_pages_and_other_paths_go_to_django_as_before(room, door):
    room.update(RATE=0.001)
    Device(door).call()
    status, _, body = Device(door).call("get", PAGE)
    assert status == 503 and b"You are in line" in body
    assert door.application.calls == 1  # the page's waiting answer is Django's own
    Device(door).call("get", "/healthz")
    assert door.application.calls == 2


@pytest.mark.django_db
def test_with_the_room_off_the_door_never_touches_redis(settings, door):
    url = "redis://127.0.0.1:1/0"
    assert not client_made(url)
    settings.WAITING_ROOM = {**settings.WAITING_ROOM, "MODE": "off", "REDIS_URL": url}
    for _ in range(3):
        assert Device(door).call()[0] != 503
    assert door.application.calls == 3 and not client_made(url)
