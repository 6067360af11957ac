"""API plumbing shared by every app: the one place where domain errors become HTTP answers, the
error body's schema, and the rate limits.

Every error body has `error` (a stable code) and, except field errors (400), `detail` (a
translated message): `{"error": "slot_full", "detail": "…"}`.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError


def exception_handler(exc, context):
    """DomainError → `{"error": code, "detail": message}` with its status; DRF's own errors get
    an `error` code next to their `detail`; field errors (400) stay `{field: [messages]}`."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"error": exc.code, "detail": str(exc)}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and not isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"error": code, **response.data}
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal except field errors (schema only)."""

    error = serializers.CharField(help_text="A stable code, e.g. slot_full, duplicate, throttled.")
    detail = serializers.CharField(help_text="A message for the resident, in the request language.")


# Rate limits. Rates are read from settings on every request (not frozen at import as in DRF's
# SimpleRateThrottle), so settings overrides apply at once. The counts live in the default cache.


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No rate set for the throttle scope {self.scope!r}.")


def _client(request):
    """The authenticated API client (request.auth), or None for an anonymous caller."""
    return request.auth if getattr(request.auth, "pk", None) is not None else None


class ClientRateThrottle(_SettingsRateThrottle):
    """Per API client: the client's own `rate` if it has one, else the `api_client` rate."""

    scope = "api_client"

    def allow_request(self, request, view) -> bool:
        client = _client(request)
        if client is None:
            return True
        if getattr(client, "rate", ""):
            self.rate = client.rate
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": _client(request).pk}


class AnonIpRateThrottle(_SettingsRateThrottle):
    """Per IP address for callers without a token (the `anon` rate)."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if _client(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupRateThrottle(_SettingsRateThrottle):
    """Stricter, for looking a booking up by code + ID digits (against guessing): per IP
    (`api_lookup`) for anonymous callers, per client (`api_lookup_client`) for API clients."""

    scope = "api_lookup"

    def allow_request(self, request, view) -> bool:
        if _client(request) is not None:
            self.scope = "api_lookup_client"
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        client = _client(request)
        ident = client.pk if client is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
