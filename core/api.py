"""API plumbing shared by every app: the one place where domain errors become HTTP answers, the
error body's schema. The rate limits are in core/throttles.py, the JSON parser in core/parsers.py
(re-exported here).

Every error body has `error` (a stable code) and, except field errors (400), `detail` (a
translated message): `{"error": "slot_full", "detail": "…"}`.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import DomainError
from .idempotency import idempotent_run, request_fingerprint
from .parsers import LimitedJSONParser, json_depth  # noqa: F401
from .throttles import (  # noqa: F401
    AnonIpRateThrottle,
    ClientRateThrottle,
    LookupRateThrottle,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
        and isinstance(exc, exceptions.APIException)
        and not isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"error": code, **response.data}
    return response


def idempotent_response(
    request: Any, *, scope: str, payload: dict, run: Callable[[], tuple[int, dict]]
) -> Response:
    """The answer of an API write that takes an `Idempotency-Key` header: without one, `run`'s
    answer; with one (at most 100 characters), `run` once per (scope, key) and the first answer
    again for a retry with the same `payload`, marked `Idempotent-Replayed: true`."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        code, body = run()
        return Response(body, code)
    if len(key) > 100:
        raise exceptions.ValidationError(
            {"Idempotency-Key": [_("An Idempotency-Key has at most 100 characters.")]}
        )
    outcome = idempotent_run(
        scope=scope, key=key, fingerprint=request_fingerprint(payload), run=run
    )
    response = Response(outcome.body, status=outcome.status)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal except field errors (schema only)."""

    error = serializers.CharField(help_text="A stable code, e.g. slot_full, duplicate, throttled.")
    detail = serializers.CharField(help_text="A message for the resident, in the request language.")
