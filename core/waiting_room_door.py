"""The waiting room's front door: its API answers without Django's request cycle (issue 18).

At release time most requests to the booking API are residents asking for their place again
(`core/waiting_room.py`). Through Django each of those runs the outer middlewares (request id,
metrics, security headers, CSP, WhiteNoise), the URL resolver and the middleware's own work
around one script call in Redis. This WSGI wrapper (config/wsgi.py) answers them before all of
that: for a POST to one of the room's API paths while the room is active, it asks the room
(`room_check`, the same script) and

- writes the waiting answer itself (the same JSON, `Retry-After`, cookies and ticket as the
  middleware's, plus the request id and the security headers; the metrics count it as
  `waiting_room`), or
- hands an admitted request (or one that found Redis broken) on to Django with its answer in
  the environ (`HANDOFF`), where the middleware takes it instead of asking again.

Everything else — pages, other paths, the room inactive — goes to Django untouched, at the cost
of a method and path comparison (and `active()`'s clock read on the API paths).
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.security import SecurityMiddleware
from django.urls import NoReverseMatch, reverse

from core import waiting_room
from core.metrics import REQUEST_SECONDS
from core.observability import HEADER as REQUEST_ID_HEADER
from core.observability import request_id_accepted

# A JSON answer loads nothing: the strictest policy (the site's own is for HTML pages).
_POLICY = "default-src 'none'; frame-ancestors 'none'"


class WaitingRoomDoor:
    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application
        self.security = SecurityMiddleware(lambda request: None)  # type: ignore[arg-type]
        self._paths: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())

    def paths(self) -> frozenset[str]:
        """The paths of the room's API views (settings may change them in tests)."""
        views = tuple(waiting_room.config()["VIEWS"])
        if self._paths[0] != views:
            found = set()
            for name in views:
                if name.startswith("api-"):
                    try:
                        found.add(reverse(name))
                    except NoReverseMatch:  # a view with arguments: Django's middleware's
                        continue
            self._paths = (views, frozenset(found))
        return self._paths[1]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") not in self.paths()
            or not waiting_room.active()
        ):
            return self.application(environ, start_response)
        started = time.perf_counter()
        request = WSGIRequest(environ)
        checked = waiting_room.room_check(request)
        place = checked.place
        if place is None or place.admitted:
            environ[waiting_room.HANDOFF] = checked
            return self.application(environ, start_response)
        response = waiting_room.waiting_response(request, place)
        response = waiting_room.with_place(
            request, response, checked.cookie, place.ticket,
            turn=place.turn(waiting_room.config()["RATE"]),
        )  # fmt: skip
        response[REQUEST_ID_HEADER] = request_id_accepted(request.headers.get(REQUEST_ID_HEADER))
        response = self.security.process_response(request, response)
        response.setdefault("Content-Security-Policy", _POLICY)
        headers = [
            *response.items(),
            *(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()),
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        REQUEST_SECONDS.labels("waiting_room", "POST", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return [response.content]


def wrap(application: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """config/wsgi.py: the front door before Django's application, unless turned off
    (WAITING_ROOM_DOOR=0: every request through Django, as before)."""
    if not getattr(settings, "WAITING_ROOM_DOOR", True):
        return application
    return WaitingRoomDoor(application)
