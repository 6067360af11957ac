"""Beat is a singleton even across machines (celery-redbeat, config/settings.py): two beats
started against the same Redis send every periodic job once per period. The one holding the
lock in Redis sends; the other waits, sends nothing, and takes over where the first left off
when it dies (SIGKILL: after the lock expires)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings

from .processes import stop_group, wait_for

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(settings.BASE_DIR)
LOCK_TIMEOUT = 4  # seconds: how long a dead holder's lock outlives it
PERIODS = {"tests.beat_app.every_second": 1.0, "tests.beat_app.every_two_seconds": 2.0}
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (a Redis for the beats' lock, state and queue)"
)


class Queue(threading.Thread):
    """Takes every message the beats send off the queue: (task name, sender's pid)."""

    def __init__(self, client: redis.Redis, name: str):
        super().__init__(daemon=True)
        self.client, self.name, self.sent, self.halt = client, name, [], threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            popped = self.client.blpop([self.name], timeout=0.2)
            if popped:
                headers = json.loads(popped[1])["headers"]
                # origin: "gen<pid>@<host>", the process that sent the message
                pid = int(headers["origin"].split("@", 1)[0].removeprefix("gen"))
                self.sent.append((headers["task"], pid))

    def stop(self) -> list[tuple[str, int]]:
        self.halt.set()
        self.join(timeout=10)
        return self.sent


@pytest.fixture
def beats(tmp_path):
    """start() a beat (celery -A tests.beat_app beat) on a queue and lock of this test's own."""
    name = f"beatlock-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=name,
        CELERY_REDBEAT_KEY_PREFIX=f"{name}:",
        CELERY_REDBEAT_LOCK_TIMEOUT=str(LOCK_TIMEOUT),
        CELERY_BEAT_MAX_LOOP_INTERVAL="1",
        ONEWINDOW_TEST_BEAT_PERIODS=json.dumps(PERIODS),
    )
    started: list[tuple[subprocess.Popen, Path]] = []

    def start(label: str) -> tuple[subprocess.Popen, Path]:
        log_path = tmp_path / f"{label}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "tests.beat_app", "beat", "-l", "INFO",
                 "--schedule", str(tmp_path / f"{label}-schedule")],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        started.append((process, log_path))
        return process, log_path

    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield name, client, start
    finally:
        for process, _log in started:
            if process.poll() is None:
                stop_group(process)
        client.delete(name, *client.keys(f"{name}:*"), *client.keys(f"_kombu.*.{name}"))
        client.close()


def acquired(log: Path) -> bool:
    return "beat: Acquired lock" in log.read_text()


def test_two_beats_send_every_periodic_job_once_per_period(beats):
    name, client, start = beats
    queue = Queue(client, name)
    queue.start()
    first, second = start("first"), start("second")

    holder, standby = wait_for(
        lambda: (first, second) if acquired(first[1]) else (second, first) if acquired(second[1])
        else None, 60, "one beat to take the lock",
    )  # fmt: skip
    holding_since = time.monotonic()
    wait_for(lambda: sent_by(queue.sent, holder[0].pid)["tests.beat_app.every_second"] >= 5, 30,
             "the lock holder to send")  # fmt: skip
    assert not acquired(standby[1])
    assert "Sending due task" not in standby[1].read_text()  # started by mistake: silent

    holder[0].send_signal(signal.SIGKILL)  # the machine with the active beat dies
    killed_at = time.monotonic()
    wait_for(lambda: acquired(standby[1]), LOCK_TIMEOUT + 10, "the standby to take the lock")
    taken_at = time.monotonic()
    wait_for(lambda: sent_by(queue.sent, standby[0].pid)["tests.beat_app.every_second"] >= 4, 20,
             "the new holder to send")  # fmt: skip
    sent = queue.stop()
    ended = time.monotonic()

    senders = [pid for _task, pid in sent]
    # One sender at a time: the holder until it died, then the standby, never both.
    switch = senders.index(standby[0].pid)
    assert set(senders[:switch]) == {holder[0].pid} and set(senders[switch:]) == {standby[0].pid}
    phases = {holder[0].pid: killed_at - holding_since, standby[0].pid: ended - taken_at}
    for pid, held in phases.items():
        counts = sent_by(sent, pid)
        assert set(counts) == set(PERIODS)
        for task, period in PERIODS.items():
            # Once per period: no more sends than periods while it held the lock (+1 for the
            # first, +1 for the moment this test noticed the lock), where a second sender
            # would have doubled them.
            assert counts[task] <= held / period + 2, (task, counts[task], held)
    print(
        f"holder {dict(sent_by(sent, holder[0].pid))} in {phases[holder[0].pid]:.1f} s, "
        f"standby {dict(sent_by(sent, standby[0].pid))} in {phases[standby[0].pid]:.1f} s "
        f"after taking over {taken_at - killed_at:.1f} s after the holder was SIGKILLed "
        f"(lock timeout {LOCK_TIMEOUT} s)"
    )


def sent_by(sent: list[tuple[str, int]], pid: int) -> Counter:
    return Counter(task for task, sender in sent if sender == pid)
