"""Request ids, JSON logs and error reporting (docs/deploy.md, "Logs, errors and metrics").

- `RequestIdMiddleware` takes the caller's `X-Request-ID` (a load balancer's or a partner
  system's: at most 64 letters, digits, `.`, `_` and `-`) or makes one, keeps it for the request
  in a context variable, returns it in the response's `X-Request-ID` header and hands it to the
  Celery tasks the request sends (`celery_publish_request_id` / `celery_task_request_id`).
- `RequestIdFilter` puts it on every log record (`request_id`, "-" outside a request).
- `LOG_FORMAT=json` (settings) writes one JSON object a line through structlog's
  `ProcessorFormatter`: time, level, logger, message, request_id and the exception. The handlers
  keep `core.logging.MaskIdNumbersFilter`, and `mask_id_numbers` masks every text of the event
  once more at the end (structlog formats the exception itself, after the filter ran).
- `sentry_init` (when `SENTRY_DSN` is set): errors of the web processes and the Celery workers
  go to Sentry without personal data: no request bodies, cookies, headers, query strings, local
  variables or user, and ID numbers masked in whatever text is left (`sentry_before_send`).
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

from django.http import HttpRequest, HttpResponse

from .logging import mask_id_numbers_in_text

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_accepted(value: str | None) -> str:
    """The caller's id when it is a plain token, else a new one (never a header injection)."""
    if value and _VALID_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accepted(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


# --- JSON logs ---------------------------------------------------------------------------------


def mask_id_numbers(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> dict[str, Any]:
    """structlog processor: every text of the event with its ID numbers masked."""
    return {key: _masked(value) for key, value in event.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_id_numbers_in_text(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _from_record(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event["logger"] = record.name
        event["request_id"] = getattr(record, "request_id", None) or _request_id.get() or "-"
    return event


def json_formatter() -> logging.Formatter:
    """The formatter of settings.LOGGING's handlers with LOG_FORMAT=json."""
    import structlog

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _from_record,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_id_numbers,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


# --- Celery: the request id travels with the tasks a request sends --------------------------------


def celery_publish_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def celery_task_request_id(task: Any = None, **_kwargs: Any) -> None:
    request_id = getattr(getattr(task, "request", None), "request_id", None)
    _request_id.set(request_id if isinstance(request_id, str) else None)


# --- Sentry --------------------------------------------------------------------------------------

_DROPPED_REQUEST_PARTS = ("data", "cookies", "headers", "query_string", "env")


def sentry_before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """No personal data leaves: the request keeps its method and URL path only, no user, no
    local variables; ID numbers are masked in every text that is left."""
    request = event.get("request")
    if isinstance(request, dict):
        for part in _DROPPED_REQUEST_PARTS:
            request.pop(part, None)  # noqa: B909
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    request_id = _request_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _masked(event)


def sentry_init(*, dsn: str, environment: str, release: str, **options: Any) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        include_local_variables=False,  # send_default_pii stays off (its default)
        max_request_body_size="never",
        before_send=sentry_before_send,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
        **options,
    )
