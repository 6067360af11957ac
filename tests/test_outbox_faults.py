"""The transactional outbox (core/outbox.py) against real faults, with real processes on the
test PostgreSQL database and Redis (the worker harness of tests/test_worker_kill.py):

- a resident books through a real web server whose broker is a dead port: the booking answers
  201 at once, the confirmation waits in the outbox, and once the relay runs against the real
  Redis (the broker is back) it is sent exactly once, however often its row is handed out;
- a worker SIGKILLed in the middle of a certificate: after the lease (shortened here) the row is
  handed out again, and there is exactly one certificate, one PDF and one SMS;
- a consumer failing every time is retried with growing pauses, then stops as failed, which
  `manage.py outbox_status` shows.

The in-process behaviour (back-off, failed rows, outbox_status, /readyz): core/tests/test_outbox.py.
"""

import datetime as dt
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction  # noqa: F401 - the skipif conditions read it
from django.utils import timezone

from accounts.actions import api_client_create
from appointments.models import Booking
from appointments.tests.factories import SlotFactory
from core import outbox
from core.models import OutboxMessage
from core.tests.factories import id_number
from documents.actions.certificates import NOTIFY_KIND, certificate_prepare
from documents.constants import RequestStatus
from documents.models import Certificate
from documents.tests.factories import request_in
from notifications.models import Message, MessageStatus

from .test_worker_kill import ROOT, _read, database_url, wait_for, worker  # noqa: F401
from .test_worker_kill import pytestmark as worker_marks

pytestmark = worker_marks
LEASE = 3  # seconds, for the worker (settings.OUTBOX_LEASE_SECONDS is 270 in production)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_env(tmp_path) -> dict:
    private = tmp_path / "private"
    return {
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "OUTBOX_DISPATCH_GRACE_SECONDS": "1",
        "OUTBOX_MAX_ATTEMPTS": "3",
        "OUTBOX_BACKOFF_SECONDS": "1",
        "PRIVATE_MEDIA_ROOT": str(private),
        "SIGNING_DEMO_DIR": str(tmp_path / "signing"),
    }


@pytest.fixture
def web_with_a_dead_broker(tmp_path):
    """gunicorn on the test database, its Celery broker a port nobody listens on."""
    port, dead = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{dead}/0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_DISPATCH_GRACE_SECONDS": "0",
        "CONN_MAX_AGE": "0",
    }
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 - open while the server runs
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _answers(port), 30, "the web server")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        log.close()


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _post_booking(port: int, token: str, slot) -> tuple[int, dict, float]:
    body = {
        "slot": slot.pk, "service": slot.schedule.services.first().code, "name": "张三",
        "id_number": id_number(1), "phone": "13800138000",
    }  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    conn.request("POST", "/api/v1/bookings/", json.dumps(body), {
        "Content-Type": "application/json", "Authorization": f"Token {token}",
    })  # fmt: skip
    try:
        response = conn.getresponse()
        return response.status, json.loads(response.read()), time.monotonic() - started
    finally:
        conn.close()


def test_a_booking_made_while_the_broker_is_down_is_confirmed_once_when_it_returns(
    worker, web_with_a_dead_broker  # noqa: F811 - the harness's fixture, imported above
):
    gate, send = worker
    slot = SlotFactory(start=timezone.now() + dt.timedelta(days=2))
    _client, token = api_client_create(name="partner")

    status, body, seconds = _post_booking(web_with_a_dead_broker, token, slot)
    assert status == 201, body
    assert seconds < 5  # the fast path gave up at once; the resident did not wait for it
    booking = Booking.objects.get(code=body["code"])
    [row] = OutboxMessage.objects.filter(task="appointments.tasks.booking_notify")
    assert (row.status, row.args, row.attempts) == ("pending", [booking.pk, "confirmed"], 0)
    assert not Message.objects.exists() and _read(gate / "sent.log") == ""

    # The broker is back: beat's relay (sent here as beat would) goes through the real Redis.
    send("core.tasks.outbox_relay", [])
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=row.pk, status="done").exists(),
        20, "the relay to hand the row to the worker and the worker to send",
    )  # fmt: skip
    # The same row handed out twice more (a relay and a fast path racing, a redelivery) and
    # the relay run again: nothing is sent twice.
    send("core.tasks.outbox_deliver", [row.pk, 0])
    send("core.tasks.outbox_deliver", [row.pk, 0])
    send("core.tasks.outbox_relay", [])
    wait_for(lambda: _read(gate / "worker.log").count(" succeeded in ") >= 5, 20,
             "the worker to take the extra hand-outs")  # fmt: skip
    sent = _read(gate / "sent.log").splitlines()
    assert len(sent) == 1 and "13800138000" in sent[0], sent
    [message] = Message.objects.filter(ref=booking.code)
    assert (message.status, message.kind, message.attempts) == ("sent", "confirmed", 1)
    assert _read(gate / "worker.log").count("'skipped'") == 2


def test_a_worker_killed_in_the_middle_of_a_certificate_makes_exactly_one(
    worker, monkeypatch, tmp_path  # noqa: F811 - the harness's fixture, imported above
):
    gate, send = worker
    # The fast path after the approval goes to the worker's Redis queue (this test process is
    # the eager embedded default, which would render the PDF right here).
    monkeypatch.setattr(
        outbox, "_dispatch", lambda pk, attempts: send("core.tasks.outbox_deliver", [pk, attempts])
    )
    (gate / "hold-pdf").touch()
    req = request_in(RequestStatus.APPROVED, phone="13900139000")
    with transaction.atomic():
        certificate = certificate_prepare(request=req)

    killed = int(wait_for(lambda: _read(gate / "pdf-reached"), 60, "the PDF to be rendered"))
    (gate / "hold-pdf").unlink()
    os.kill(killed, signal.SIGKILL)  # the pool process, holding the rendered PDF
    died = time.monotonic()
    # Celery hands the task straight back (late acks): the lease still holds, it is skipped.
    # Beat's relay, every second here, hands the row out again once the lease has expired.
    deadline = time.monotonic() + 60
    while not Message.objects.filter(kind=NOTIFY_KIND, status=MessageStatus.SENT).exists():
        assert time.monotonic() < deadline, _read(gate / "worker.log")[-3000:]
        send("core.tasks.outbox_relay", [])
        time.sleep(1)  # beat's period, not a synchronisation
    assert time.monotonic() - died < LEASE + 30  # production: 270 s lease + 5 s relay < 5 min

    certificate.refresh_from_db()
    files = list((tmp_path / "private" / "certificates").iterdir())
    assert Certificate.objects.filter(request=req).count() == 1
    assert certificate.pdf and len(files) == 1 and files[0].name == certificate.pdf.name.split(
        "/")[-1]  # fmt: skip
    assert len(_read(gate / "pdf.log").splitlines()) == 2  # rendered twice, stored once
    assert Message.objects.filter(kind=NOTIFY_KIND, channel="sms").count() == 1
    sms = [line for line in _read(gate / "sent.log").splitlines() if certificate.number in line]
    assert len(sms) == 1 and not sms[0].startswith(f"{killed} "), sms
    rows = OutboxMessage.objects.filter(task__startswith="documents.tasks.certificate_")
    assert sorted(rows.values_list("task", "status", "attempts")) == [
        ("documents.tasks.certificate_generate", "done", 2),  # the killed attempt, then this one
        ("documents.tasks.certificate_notify", "done", 1),
    ]


def test_a_consumer_that_keeps_failing_backs_off_then_stops_as_failed(
    worker, monkeypatch  # noqa: F811 - the harness's fixture, imported above
):
    gate, send = worker
    monkeypatch.setattr(
        outbox, "_dispatch", lambda pk, attempts: send("core.tasks.outbox_deliver", [pk, attempts])
    )
    with transaction.atomic():
        row = outbox.outbox_enqueue("tests.worker_hooks.gateway_down")
    deadline = time.monotonic() + 60
    while not OutboxMessage.objects.filter(pk=row.pk, status="failed").exists():
        assert time.monotonic() < deadline, _read(gate / "worker.log")[-3000:]
        send("core.tasks.outbox_relay", [])
        time.sleep(0.5)  # beat's period, not a synchronisation
    row.refresh_from_db()
    runs = len(_read(gate / "gateway.log").splitlines())
    assert (row.attempts, runs) == (3, 3)  # OUTBOX_MAX_ATTEMPTS in the worker, then no more
    assert "OSError: gateway refused" in row.last_error and "110101" not in row.last_error
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("outbox_status", stdout=out)
    assert "failed 1" in out.getvalue()
    assert f"failed #{row.pk} tests.worker_hooks.gateway_down after 3" in out.getvalue()
    send("core.tasks.outbox_relay", [])
    send("core.tasks.outbox_deliver", [row.pk, 3])  # a stray hand-out: failed stays failed
    wait_for(lambda: _read(gate / "worker.log").count("'skipped'") >= 1, 20, "the stray")
    assert len(_read(gate / "gateway.log").splitlines()) == 3
