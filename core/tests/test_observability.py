"""Request ids, JSON logs with ID numbers masked, error reports without personal data
(core/observability.py)."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from core.logging import MaskIdNumbersFilter
from core.observability import RequestIdFilter, json_formatter, sentry_init

from .observability_urls import ID_NUMBER

ROOT = Path(__file__).resolve().parents[2]
MASKED = "110***********7777"

pytestmark = [pytest.mark.urls("core.tests.observability_urls"), pytest.mark.django_db]


@pytest.fixture
def json_log():
    """The JSON handler settings.LOGGING builds with LOG_FORMAT=json, on the test's loggers."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(MaskIdNumbersFilter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("onewindow.test", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def test_the_callers_request_id_comes_back_and_a_missing_one_is_made(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert given["X-Request-ID"] == "lb-7f3a.42"
    made = client.get("/healthz")
    assert len(made["X-Request-ID"]) == 32
    assert made["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.parametrize("hostile", ["a" * 65, "x\r\nSet-Cookie: a=b", "<script>", "id with space"])
def test_a_hostile_request_id_is_replaced_not_echoed(client, hostile):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)
    assert response.status_code == 200
    assert response["X-Request-ID"] != hostile
    assert len(response["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id_and_mask_id_numbers(client, json_log):
    response = client.get("/test/logs/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    [line] = [entry for entry in json_log() if entry["logger"] == "onewindow.test"]
    assert line["request_id"] == "req-1"
    assert line["level"] == "warning"
    assert line["event"] == f"looked up {MASKED}"
    assert ID_NUMBER not in json.dumps(line)


def test_an_exception_in_a_json_log_line_is_masked_too(json_log):
    try:
        raise ValueError(f"no booking for {ID_NUMBER}")
    except ValueError:
        logging.getLogger("onewindow.test").exception("lookup of %s failed", ID_NUMBER)
    [line] = json_log()
    assert line["request_id"] == "-"  # outside a request
    assert "ValueError: no booking for " + MASKED in line["exception"]
    assert ID_NUMBER not in json.dumps(line)


def test_log_format_json_turns_the_settings_handlers_to_json_lines():
    code = (
        "import django, logging; django.setup(); "
        f"logging.getLogger('onewindow.test').warning('id %s', '{ID_NUMBER}')"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )
    [line] = [json.loads(text) for text in done.stderr.splitlines() if text.startswith("{")]
    assert line["event"] == f"id {MASKED}"
    assert line["logger"] == "onewindow.test"
    assert {"timestamp", "level", "request_id"} <= set(line)


class _Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope):
        self.events += [item.payload.json for item in envelope.items if item.type == "event"]


@pytest.fixture
def sentry():
    transport = _Captured()
    sentry_init(dsn="http://key@127.0.0.1:9/1", environment="test", release="", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: reporting off again


def test_an_error_reaches_sentry_without_the_body_or_any_id_number(client, sentry):
    client.raise_request_exception = False
    response = client.post(
        "/test/fails/?id=" + ID_NUMBER,
        {"id_number": ID_NUMBER, "name": "张三"},
        HTTP_X_REQUEST_ID="req-err",
        HTTP_COOKIE="sessionid=secret-session",
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = sentry.events
    text = json.dumps(event, ensure_ascii=False)
    assert ID_NUMBER not in text
    assert "张三" not in text and "secret-session" not in text
    assert f"no booking for {MASKED}" in text
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    request = event.get("request", {})
    assert not {"data", "cookies", "headers", "query_string"} & set(request)
    assert event["tags"]["request_id"] == "req-err"
