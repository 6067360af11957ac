"""The API's rate limits (DRF throttles), in a module of their own: DRF's APIView reads
DEFAULT_THROTTLE_CLASSES when rest_framework.views is first imported, so this module must not
import it (core.api does).

Every throttle counts the client by the project's one rule, core.client_ip, never by DRF's
default `get_ident`, which believes any X-Forwarded-For a client sends.
"""

import os
from typing import TYPE_CHECKING, Any, cast

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .cache import RedisCache
from .client_ip import client_ip

if TYPE_CHECKING:  # never at run time: see above
    from redis.commands.core import Script
    from rest_framework.views import APIView

# Rate limits. Rates are read from settings on every request (not frozen at import as in DRF's
# SimpleRateThrottle), so settings overrides apply at once. The counts live in the default cache.


# DRF's sliding window (the times of the requests within the period), kept in Redis as a sorted
# set and checked and counted by one script: one round trip where DRF's get + set take two (and
# unpickle and pickle the list), and atomic, so parallel requests cannot both take the last
# place. Returns {allowed, requests in the window, the oldest one's time}.
_SLIDING_WINDOW = """
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2] or '0'}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(period))
return {1, count + 1, '0'}
"""
_scripts: dict[int, "Script"] = {}


def _sliding_window(backend: RedisCache) -> "Script":
    client = backend._cache.get_client(write=True)
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_SLIDING_WINDOW)
    return script


class _SettingsRateThrottle(SimpleRateThrottle):
    _window: tuple[int, float] | None = None  # (requests in the window, the oldest's time)
    # Set by SimpleRateThrottle.__init__ from parse_rate (not in the DRF stubs); used only once
    # a rate is set, when both are numbers.
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: "APIView") -> bool:
        """DRF's check; with the Redis cache, in one script (_SLIDING_WINDOW), kept under the
        key DRF would use plus ":window"."""
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, count, oldest = _sliding_window(backend)(
            keys=[backend.make_key(f"{self.key}:window")],
            args=[repr(self.now), self.duration, self.num_requests, os.urandom(8).hex()],
        )
        if allowed:
            return True
        self._window = (int(count), float(oldest))
        return False

    def wait(self) -> float | None:
        """DRF's Retry-After, from what the script saw."""
        if self._window is None:
            return super().wait()
        count, oldest = self._window
        remaining = self.duration - (self.now - oldest) if count else self.duration
        available = self.num_requests - count + 1
        return remaining / float(available) if available > 0 else None

    def get_ident(self, request: Request) -> str:
        """The client by the project's one rule (core.client_ip), never DRF's default, which
        believes any X-Forwarded-For a client sends."""
        return client_ip(request)

    def get_rate(self) -> str:
        try:
            return str(api_settings.DEFAULT_THROTTLE_RATES[self.scope or ""])
        except KeyError:
            raise ImproperlyConfigured(f"No rate set for the throttle scope {self.scope!r}.")


def _client(request: Request) -> Any:
    """The authenticated API client (request.auth), or None for an anonymous caller."""
    return request.auth if getattr(request.auth, "pk", None) is not None else None


class ClientRateThrottle(_SettingsRateThrottle):
    """Per API client: the client's own `rate` if it has one, else the `api_client` rate."""

    scope = "api_client"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        client = _client(request)
        if client is None:
            return True
        if getattr(client, "rate", ""):
            self.rate = client.rate
            # A rate string in: two numbers out (DRF's stubs allow None for a None rate).
            self.num_requests, self.duration = cast(tuple[int, int], self.parse_rate(self.rate))
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": _client(request).pk}


class AnonIpRateThrottle(_SettingsRateThrottle):
    """Per IP address for callers without a token (the `anon` rate)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if _client(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupRateThrottle(_SettingsRateThrottle):
    """Stricter, for looking a booking up by code + ID digits (against guessing): per IP
    (`api_lookup`) for anonymous callers, per client (`api_lookup_client`) for API clients."""

    scope = "api_lookup"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if _client(request) is not None:
            self.scope = "api_lookup_client"
            self.rate = self.get_rate()
            # A rate string in: two numbers out (DRF's stubs allow None for a None rate).
            self.num_requests, self.duration = cast(tuple[int, int], self.parse_rate(self.rate))
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        client = _client(request)
        ident = client.pk if client is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
