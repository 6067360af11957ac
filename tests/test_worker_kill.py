"""A real Celery worker (`celery -A config worker`, prefork) against Redis and the test
PostgreSQL database: its process is killed with SIGKILL in the middle of a task, and the task
still happens exactly once; a task that kills its worker every time stops after
CELERY_TASK_MAX_DELIVERIES deliveries and is recorded as failed (core/tasks.py)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from appointments.tests.factories import SlotFactory, past_booking
from core.models import TaskDelivery
from core.tests.factories import id_number
from notifications.models import Message, MessageStatus

from .processes import stop_group, wait_for

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL: the worker must share the test database",
    ),
    pytest.mark.skipif(
        not REDIS_URL, reason="needs REDIS_URL (a Redis database for the worker's queue)"
    ),
    pytest.mark.django_db(transaction=True),  # the worker reads committed rows only
]
ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def worker_env() -> dict:
    """More environment for the worker (a test module overrides this fixture)."""
    return {}


@pytest.fixture
def worker(tmp_path, worker_env):
    """Starts a worker on a queue of its own; yields (gate dir, send(name, args)). Tasks the
    worker sends itself (an outbox row's fast path) go to that queue too."""
    queue = f"killtest-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_MAX_DELIVERIES": "2",
        "SMS_BACKEND": "tests.worker_hooks.GatedSMSBackend",
        "ONEWINDOW_TEST_GATE_DIR": str(tmp_path),
        "CONN_MAX_AGE": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **worker_env,
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - open while the worker runs
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
         "--concurrency", "1", "-Q", queue, "--include", "tests.worker_hooks",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
         "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    sender = Celery("killtest", broker=REDIS_URL)

    def send(name: str, args: list) -> str:
        return sender.send_task(name, args=args, queue=queue).id

    try:
        wait_for(lambda: "ready" in (tmp_path / "worker.log").read_text(), 25, "the worker")
        yield tmp_path, send
    finally:
        stop_group(process)
        log.close()
        with sender.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)
        sender.close()


def test_a_worker_killed_mid_task_loses_nothing_and_sends_nothing_twice(worker):
    gate, send = worker
    slot = SlotFactory(start=timezone.now() + dt.timedelta(days=1))
    booking = past_booking(slot=slot, id_number=id_number(1), status="booked", phone="13800138000")
    (gate / "hold").touch()

    send("appointments.tasks.booking_notify", [booking.pk, "confirmed"])
    killed = int(wait_for(lambda: _read(gate / "reached"), 20, "the task to reach the gateway"))
    (gate / "hold").unlink()  # the redelivery goes through
    os.kill(killed, signal.SIGKILL)  # the pool process, in the middle of the task

    wait_for(
        lambda: Message.objects.filter(ref=booking.code, status=MessageStatus.SENT).exists(),
        20,
        "the redelivered task to send the SMS",
    )
    time.sleep(1.5)  # room for a duplicate to show up, if there were one
    sent = _read(gate / "sent.log").splitlines()
    assert len(sent) == 1, sent  # the resident got exactly one SMS ...
    assert not sent[0].startswith(f"{killed} ")  # ... from the process that replaced the dead one
    [message] = Message.objects.filter(ref=booking.code)  # and the outbox has it once
    assert (message.status, message.kind, message.attempts) == ("sent", "confirmed", 1)
    assert not TaskDelivery.objects.exists()  # done: nothing in flight, nothing failed
    assert "WorkerLostError" in _read(gate / "worker.log")


def test_a_task_that_kills_its_worker_every_time_stops_and_is_recorded_as_failed(worker):
    gate, send = worker
    task_id = send("tests.worker_hooks.poison", [])

    row = wait_for(
        lambda: TaskDelivery.objects.filter(
            task_id=task_id, state=TaskDelivery.State.FAILED
        ).first(),
        25,
        "the poison message to be refused",
    )
    assert row.deliveries == 3 and "poison message" in row.error
    assert len(_read(gate / "poison.log").splitlines()) == 2  # ran twice, then never again
    time.sleep(1.5)
    assert len(_read(gate / "poison.log").splitlines()) == 2


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
