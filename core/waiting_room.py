"""The virtual waiting room of release time (issue 18; docs/deploy.md "The waiting room").

When more residents press "book" than the site sustains, each one gets a numbered place in one
line shared by every web node, sees the position and the estimated wait on a page that refreshes
itself, and is admitted in arrival order at the rate the site sustains. An admission is valid for
`ADMISSION_SECONDS`: within it the resident picks a slot and books as usual.

How it works (all state in Redis, one script call per guarded request while the room is active):

- `seq` is a ticket counter (INCR): an arriving resident's ticket is the next number.
- `admitted` is the boundary: every ticket up to it is admitted. The script advances it by
  `elapsed seconds x rate` at each call (on Redis's own clock, so web nodes' clocks do not
  matter), never further than one place past the last ticket given out (with `MAX_INFLIGHT`,
  the places free under it), so an idle room does not store up a burst: a crowd's tickets fall
  due one by one at the rate, and the API's `retry_after_ms` tells each client when its own
  does. Tickets are admitted strictly in the order they were given: first come, first served.
- `rate` starts at `RATE` admissions per second and adapts to the latency of admitted requests
  that each node measures: above `LATENCY_TARGET_MS` it drops by a fifth or more, in proportion
  to the excess, at most by half (not under `MIN_RATE`); below 60% of it it grows by a quarter
  (not over `RATE`); at most once a second.
  The latency counts from the request's arrival at the balancer (its `X-Request-Start`, from a
  peer in TRUSTED_PROXIES only), so requests queueing there slow the line too, not only slow
  nodes.
- A resident whose turn may come by its next request (within `TURN_SECONDS` at the highest
  rate; further back, `Retry-After` brings it back just before), and an admitted one, gets the
  `ow_wr_turn` cookie: the balancer serves requests carrying it
  before the others and the room's polls last (deploy/haproxy.cfg.template), so an admitted
  booking does not queue behind a crowd asking for its position. For the same reason a new
  arrival in a busy room (another request within the last second) is not admitted on the
  request that gave it its place, even when the line has reached it: it comes back with the
  cookie after `Retry-After`. An idle room admits the first arrival at once.
- A place belongs to a person and device: the key is the signed-in user, otherwise a random
  token in a signed cookie. Refreshing keeps the place (the cookie names it); a client that
  throws its cookies away gets a new place at the back; a forged cookie is no cookie.
- With `MAX_INFLIGHT` the line also stops moving while that many admitted requests are being
  served across all nodes (a sorted set; an entry of a node that died expires after 30 s):
  the measured load holds the door as well as the rate.
- Once admitted, a pass (`ADMISSION_SECONDS`) replaces the place; when it expires the next
  request takes a new place at the back.

The room is active when `MODE` is `on`, or in `auto` mode during one of the `WINDOWS` (local
times, e.g. `07:55-08:30`) or for `STAY_SECONDS` after this process measured guarded requests
slower than `TRIGGER_MS` on average. Inactive, it costs a clock read and a comparison: no Redis
call at all. Without a Redis URL the room never opens. When Redis fails while the room is
active, requests go through (logged): the site behaves as it would without a room.

Pages get the waiting page (`core/waiting_room.html`, HTTP 503, `Retry-After`, a `<meta
refresh>`: no JavaScript); API requests get 503 with `Retry-After` and a JSON body with the
position.
"""

import datetime as dt
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.client_ip import from_trusted_proxy
from core.redis import client_for

if TYPE_CHECKING:
    import redis
    from redis.commands.core import Script

logger = logging.getLogger(__name__)

COOKIE = "ow_wr"
# "Your turn is next": set while the holder's next request should find it admitted (and while
# an admission lasts). Not a credential: the balancer serves requests carrying it first
# (deploy/haproxy.cfg.template), the room still decides who is admitted.
TURN_COOKIE = "ow_wr_turn"
TURN_SECONDS = 3
# The script's limit on the rate's climb: a quarter more at most once a second.
GROWTH = 1.25
_SALT = "onewindow.waiting-room"


def _prefix() -> str:
    """The room's keys start with WAITING_ROOM["KEY_PREFIX"] (installations sharing a Redis set
    their own)."""
    return str(config().get("KEY_PREFIX", "onewindow:wr:"))


# KEYS: seq, admitted, clock, rate, rate clock, place, pass, in flight
# ARGV: max rate, min rate, measured latency ms (-1: none), target ms, admission s, place s,
#       max in flight (0: no limit), this request's id
# Returns {admitted (1/0), ticket, boundary x 1000, rate x 1000, seconds of the pass left}.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max_inflight = tonumber(ARGV[7])
local function enter()
  if max_inflight > 0 then redis.call('ZADD', KEYS[8], now + 30, ARGV[8]) end
end
local pass = redis.call('GET', KEYS[7])
if pass then
  local sep = string.find(pass, ':')
  local until_ = tonumber(string.sub(pass, sep + 1))
  if until_ > now then
    enter()
    return {1, tonumber(string.sub(pass, 1, sep - 1)), 0, 0, math.floor(until_ - now)}
  end
  redis.call('DEL', KEYS[7])
end
local max_rate, min_rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local latency, target = tonumber(ARGV[3]), tonumber(ARGV[4])
local rate = tonumber(redis.call('GET', KEYS[4]) or max_rate)
if rate > max_rate then rate = max_rate end
local rate_clock = tonumber(redis.call('GET', KEYS[5]) or '0')
if latency >= 0 and now - rate_clock >= 1 then
  if latency > target then rate = math.max(min_rate, rate * math.max(0.5, 0.8 * target / latency))
  elseif latency < target * 0.6 then rate = math.min(max_rate, rate * 1.25) end  -- GROWTH
  redis.call('SET', KEYS[4], tostring(rate))
  redis.call('SET', KEYS[5], tostring(now))
end
-- How far the line may run ahead of the arrivals: one place (an idle room admits an arrival at
-- once; a crowd's tickets then fall due one by one at the rate, never a burst of them at once),
-- or with an in-flight limit the places free under it (none: the line stands still).
local credit = math.min(rate, 1)
if max_inflight > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now)  -- requests of a node that died
  credit = math.max(0, max_inflight - redis.call('ZCARD', KEYS[8]))
end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local boundary = tonumber(redis.call('GET', KEYS[2]) or '0')
local last = tonumber(redis.call('GET', KEYS[3]) or '0')  -- a new room: the credit
local ticket = tonumber(redis.call('GET', KEYS[6]) or '0')
if credit > 0 then
  boundary = math.max(boundary, math.min(boundary + math.max(0, now - last) * rate, seq + credit))
  redis.call('SET', KEYS[2], tostring(boundary))
end
redis.call('SET', KEYS[3], tostring(now))
-- A new arrival in a busy room (a call within the last second) takes its place and is admitted
-- at its next request, which carries the turn cookie: the balancer then serves every admitted
-- request of a busy room ahead of the crowd of arrivals and polls.
local hold = false
if ticket == 0 then
  ticket = redis.call('INCR', KEYS[1])
  hold = now - last < 1
end
if ticket <= boundary and not hold then
  local admission = tonumber(ARGV[5])
  redis.call('SET', KEYS[7], ticket .. ':' .. tostring(now + admission), 'EX', admission + 60)
  redis.call('DEL', KEYS[6])
  enter()
  return {1, ticket, math.floor(boundary * 1000), math.floor(rate * 1000), admission}
end
redis.call('SET', KEYS[6], ticket, 'EX', tonumber(ARGV[6]))
return {0, ticket, math.floor(boundary * 1000), math.floor(rate * 1000), 0}
"""


@dataclass(frozen=True)
class Place:
    admitted: bool
    ticket: int
    boundary: float
    rate: float  # admissions per second now
    pass_seconds: int  # how long the admission stays valid (admitted only)

    @property
    def position(self) -> int:
        """1 for the next to be admitted."""
        return max(1, math.ceil(self.ticket - self.boundary))

    @property
    def wait_seconds(self) -> int:
        return math.ceil(self.position / max(self.rate, 0.001))

    def turn(self, max_rate: float) -> bool:
        """The line may reach this place within TURN_SECONDS, were the rate to climb back to
        `max_rate` meanwhile: its next request (Retry-After later) may well be admitted, and
        should not wait behind the polls. A short horizon, so that the requests carrying the
        turn cookie stay few (a few seconds' admissions)."""
        return self.position <= TURN_SECONDS * max(self.rate, max_rate)

    def retry_ms(self, retry_seconds: int) -> int:
        if self.wait_seconds > TURN_SECONDS:
            return retry_seconds * 1000
        due = max(0.0, self.ticket - self.boundary) / max(self.rate, 0.001)
        return max(100, math.ceil(due * 1000))

    def earliest_turn(self, max_rate: float) -> float:
        """Seconds until the line can reach this place at the soonest. The script raises the
        rate by a quarter at most once a second, up to `max_rate` (the next raise may come at
        once): the line can move no faster than that climb. A resident back by then has not
        been passed, however the rate changes meanwhile."""
        ahead = max(0.0, self.ticket - self.boundary)
        top = max(self.rate, max_rate, 0.001)
        rate = min(top, max(self.rate, 0.001) * GROWTH)
        if rate >= top:
            return ahead / top
        covered = (top - rate) / math.log(GROWTH)  # places the line passes while it climbs
        if ahead <= covered:
            return math.log(1 + ahead * math.log(GROWTH) / rate) / math.log(GROWTH)
        return math.log(top / rate) / math.log(GROWTH) + (ahead - covered) / top

    def retry_seconds(self, longest: int, max_rate: float = 0.0) -> int:
        """When to ask again: at the estimated turn when it is near; further back, shortly
        before the line can reach the place at the soonest (`earliest_turn`), and at least
        every `longest` seconds. So a resident far back asks a few times in all, not every few
        seconds, and is still back, and marked with the turn cookie, before its turn."""
        if self.wait_seconds <= TURN_SECONDS:
            return max(self.wait_seconds, 2)
        soonest = math.floor(self.earliest_turn(max_rate))
        return min(max(soonest - TURN_SECONDS + 1, 2), longest)


def config() -> dict:
    return settings.WAITING_ROOM


# --- per-process state: the measured latency and the auto trigger (no Redis) --------------------


class _Meter:
    """An exponentially weighted mean of the guarded requests' latency in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mean_ms = -1.0
        self.samples = 0
        self.active_until = 0.0

    def add(self, ms: float) -> None:
        with self.lock:
            self.samples += 1
            self.mean_ms = ms if self.mean_ms < 0 else 0.8 * self.mean_ms + 0.2 * ms
            cfg = config()
            if cfg["MODE"] == "auto" and self.samples >= 20 and self.mean_ms > cfg["TRIGGER_MS"]:
                self.active_until = time.monotonic() + cfg["STAY_SECONDS"]

    def reset(self) -> None:
        with self.lock:
            self.mean_ms, self.samples, self.active_until = -1.0, 0, 0.0


meter = _Meter()


def _in_window(windows: list[str]) -> bool:
    if not windows:
        return False
    now = timezone.localtime().time()
    for window in windows:
        start, end = (dt.time.fromisoformat(part.strip()) for part in window.split("-"))
        if start <= now < end if start <= end else (now >= start or now < end):
            return True
    return False


def active() -> bool:
    cfg = config()
    if cfg["MODE"] == "off" or not cfg["REDIS_URL"]:
        return False
    if cfg["MODE"] == "on":
        return True
    return meter.active_until > time.monotonic() or _in_window(cfg["WINDOWS"])


# --- Redis ---------------------------------------------------------------------------------------

_scripts: dict[str, "Script"] = {}


def redis_client(url: str | None = None) -> "redis.Redis":
    return client_for(url or config()["REDIS_URL"], timeout=1.0)


def _script() -> "Script":
    url = config()["REDIS_URL"]
    script = _scripts.get(url)
    if script is None:
        script = _scripts[url] = redis_client(url).register_script(_SCRIPT)
    return script


def place_take(holder: str, request_id: str = "") -> Place:
    """The holder's place in line (taken at the back if it has none), admitting it when the line
    has reached it: one atomic script. With MAX_INFLIGHT the admitted request counts as in
    flight under `request_id` until `inflight_done` (or 30 s, for a node that died)."""
    cfg = config()
    prefix = _prefix()
    keys = [prefix + name for name in ("seq", "admitted", "clock", "rate", "rate_clock")]
    keys += [f"{prefix}place:{holder}", f"{prefix}pass:{holder}", f"{prefix}inflight"]
    args = [
        cfg["RATE"], cfg["MIN_RATE"], round(meter.mean_ms, 1), cfg["LATENCY_TARGET_MS"],
        cfg["ADMISSION_SECONDS"], cfg["PLACE_SECONDS"], cfg["MAX_INFLIGHT"],
        request_id or secrets.token_hex(8),
    ]  # fmt: skip
    admitted, ticket, boundary, rate, left = _script()(keys=keys, args=args)
    return Place(bool(admitted), int(ticket), int(boundary) / 1000, int(rate) / 1000, int(left))


def inflight_done(request_id: str) -> None:
    redis_client().zrem(f"{_prefix()}inflight", request_id)


def room_reset(url: str | None = None) -> None:
    """Empties the line (tests, benchmarks): every key of the room."""
    client = redis_client(url)
    keys = list(client.scan_iter(match=_prefix() + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


# --- the middleware ------------------------------------------------------------------------------


def _holder(request: HttpRequest) -> tuple[str, str | None]:
    """(holder key, cookie value to set or None): the device's signed cookie, or a new one."""
    token = request.get_signed_cookie(COOKIE, default=None, salt=_SALT)
    if token and len(token) == 22:
        return f"c{token}", None
    token = secrets.token_urlsafe(16)
    return f"c{token}", token


def _view_name(request: HttpRequest, match: ResolverMatch | None = None) -> str:
    if match is None:
        # Before LocaleMiddleware: the page URLs resolve under their own language prefix.
        language = translation.get_language_from_path(request.path_info)
        try:
            with translation.override(language or settings.LANGUAGE_CODE):
                match = resolve(request.path_info)
        except Resolver404:
            return ""
    if match.view_name not in config()["VIEWS"]:
        return ""
    if match.view_name.startswith("api-") and request.method != "POST":
        return ""
    return match.view_name


class WaitingRoomMiddleware:
    """Puts the booking paths (`WAITING_ROOM["VIEWS"]`) behind the line while the room is
    active, and measures their latency in this process (the auto trigger, the rate).

    It sits before the sessions, authentication and CSRF middleware, so that a waiting answer
    costs one URL match and one script call in Redis, not a whole request: at release time most
    requests are waiting answers. Inactive, it only times the booking paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = _arrival(request)
        cookie, ticket, flight = None, None, ""
        if active() and _view_name(request):
            # The front door (core/waiting_room_door.py) may have asked the room already.
            checked = request.META.pop(HANDOFF, None) or room_check(request)
            place, cookie, flight = checked.place, checked.cookie, checked.flight
            if place is not None:
                ticket = place.ticket
                if not place.admitted:
                    waiting = waiting_response(request, place)
                    turn = place.turn(config()["RATE"])
                    return with_place(request, waiting, cookie, ticket, turn=turn)
        try:
            response = self.get_response(request)
        finally:
            if flight and ticket is not None:
                _leave(flight)
        match = getattr(request, "resolver_match", None)
        if match is not None and _view_name(request, match):
            meter.add((time.time() - started) * 1000)
        return with_place(request, response, cookie, ticket, turn=ticket is not None)


# The key in a request's WSGI environ under which the front door hands its Checked on.
HANDOFF = "onewindow.waiting_room"


@dataclass(frozen=True)
class Checked:
    place: Place | None  # None: Redis failed, the request goes through
    cookie: str | None  # the new place cookie to set, if any
    flight: str  # the in-flight entry of an admitted request ("" without MAX_INFLIGHT)


def room_check(request: HttpRequest) -> Checked:
    """The request's place in line, taken or found (one script call in Redis)."""
    holder, cookie = _holder(request)
    flight = secrets.token_hex(8) if config()["MAX_INFLIGHT"] else ""
    try:
        place = place_take(holder, flight)
    except Exception:  # noqa: BLE001 - a broken Redis must not close the site
        logger.warning("waiting room: Redis failed, letting the request through", exc_info=True)
        place = None
    return Checked(place, cookie, flight)


def _arrival(request: HttpRequest) -> float:
    """When the request reached the balancer (its X-Request-Start: t=<µs>, the convention of
    HAProxy's and nginx's set-ups and of APM tools), so that the measured latency includes the
    time it queued there; without the header (or with an implausible one), now. The header is
    believed only from one of our proxies (TRUSTED_PROXIES): a client's own stamp an hour back
    would otherwise slow the admissions of everyone."""
    now = time.time()
    if not from_trusted_proxy(request):
        return now
    stamp = request.META.get("HTTP_X_REQUEST_START", "")
    try:
        start = int(stamp.removeprefix("t=")) / 1e6
    except ValueError:
        return now
    return start if 0 <= now - start < 60 else now


def _leave(flight: str) -> None:
    try:
        inflight_done(flight)
    except Exception:  # noqa: BLE001 - the entry expires by itself within 30 s
        logger.warning("waiting room: could not end an in-flight entry", exc_info=True)


def with_place(
    request: HttpRequest,
    response: HttpResponse,
    cookie: str | None,
    ticket: int | None,
    turn: bool = False,
) -> HttpResponse:
    if ticket is not None:
        response["X-Waiting-Room-Ticket"] = str(ticket)
    if turn and TURN_COOKIE not in request.COOKIES:
        response.set_cookie(
            TURN_COOKIE, "1", max_age=config()["ADMISSION_SECONDS"], httponly=True,
            samesite="Lax", secure=request.is_secure(),
        )  # fmt: skip
    if cookie:
        response.set_signed_cookie(
            COOKIE, cookie, salt=_SALT, max_age=config()["PLACE_SECONDS"],
            # Secure over https only: a browser would not send it back over plain http, and
            # every refresh would then take a new place at the back.
            httponly=True, samesite="Lax", secure=request.is_secure(),
        )  # fmt: skip
    return response


def waiting_response(request: HttpRequest, place: Place) -> HttpResponse:
    """The waiting answer, in the language of the page's URL (the API: Accept-Language)."""
    api = request.path.startswith("/api/")
    language = translation.get_language_from_request(request, check_path=not api)
    with translation.override(language):
        response = _waiting_response(request, place, api)
    response["Content-Language"] = language
    return response


def _waiting_response(request: HttpRequest, place: Place, api: bool) -> HttpResponse:
    retry = place.retry_seconds(config()["REFRESH_MAX_SECONDS"], config()["RATE"])
    if api:
        response: HttpResponse = JsonResponse(
            {
                "error": "waiting_room",
                "detail": _(
                    "Many residents are booking now. You have a place in line; "
                    "try again after the time in Retry-After."
                ),
                "ticket": place.ticket,
                "position": place.position,
                "estimated_wait_seconds": place.wait_seconds,
                "retry_after": retry,
                # The same to the millisecond near the turn (the line reaches the place then):
                # clients that keep to it come back one by one, at the rate, not in a burst.
                "retry_after_ms": place.retry_ms(retry),
            },
            status=503,
        )
    else:
        response = render(
            request,
            "core/waiting_room.html",
            {
                "place": place,
                "wait_minutes": max(1, math.ceil(place.wait_seconds / 60)),
                "refresh": retry,
                "admission_minutes": max(1, config()["ADMISSION_SECONDS"] // 60),
            },
            status=503,
        )
    response["Retry-After"] = str(retry)
    # Django's private flag (django.utils.log.log_response), unknown to django-stubs.
    response._has_been_logged = True  # type: ignore[attr-defined]  # a place in line is not a server error to log
    return response
