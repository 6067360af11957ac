"""The API's rate limits (DRF throttles), in a module of their own: DRF's APIView reads
DEFAULT_THROTTLE_CLASSES when rest_framework.views is first imported, so this module must not
import it (core.api does).

Every throttle counts the client by the project's one rule, core.client_ip, never by DRF's
default `get_ident`, which believes any X-Forwarded-For a client sends.
"""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .client_ip import client_ip

if TYPE_CHECKING:  # never at run time: see above
    from rest_framework.views import APIView

# Rate limits. Rates are read from settings on every request (not frozen at import as in DRF's
# SimpleRateThrottle), so settings overrides apply at once. The counts live in the default cache.


class _SettingsRateThrottle(SimpleRateThrottle):
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
            self.num_requests, self.duration = self.parse_rate(self.rate)
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
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        client = _client(request)
        ident = client.pk if client is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


