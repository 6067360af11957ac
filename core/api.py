"""API plumbing shared by every app: the one place where domain errors become HTTP answers, the
error body's schema, and the rate limits.

Every error body has `error` (a stable code) and, except field errors (400), `detail` (a
translated message): `{"error": "slot_full", "detail": "…"}`.
"""

import io
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .client_ip import client_ip
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
    def get_ident(self, request) -> str:
        """The client by the project's one rule (core.client_ip), never DRF's default, which
        believes any X-Forwarded-For a client sends."""
        return client_ip(request)

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


# JSON bodies: a size and a nesting limit, checked before the body is parsed, so a deeply nested
# body is a clear 400 instead of a RecursionError (500).


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with API_JSON["MAX_BYTES"] and API_JSON["MAX_DEPTH"] (settings)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limits = settings.API_JSON
        body = stream.read(limits["MAX_BYTES"] + 1) if stream is not None else b""
        if len(body) > limits["MAX_BYTES"]:
            raise exceptions.ParseError(
                _("The JSON body is too large: at most %(n)s bytes.") % {"n": limits["MAX_BYTES"]}
            )
        if json_depth(body) > limits["MAX_DEPTH"]:
            raise exceptions.ParseError(
                _("The JSON body is nested too deeply: at most %(n)s levels.")
                % {"n": limits["MAX_DEPTH"]}
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)


_BRACKETS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped), without
    parsing it; a malformed text gives some number and fails later in the parser."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest
