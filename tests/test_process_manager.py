"""`make prod`'s process manager, for real: supervisord with the rendered
deploy/supervisord.conf.template runs gunicorn, a Celery worker and beat (deploy/run.sh) with
DEBUG=0 against the test PostgreSQL database and Redis. A worker SIGKILLed is back within 10 s
while gunicorn never stops answering; a gunicorn master SIGKILLed is back too, and the worker
is left alone."""

import base64
import http.client
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from .processes import free_port, wait_for

REDIS_URL = os.environ.get("REDIS_URL", "")
METRICS_TOKEN = secrets.token_urlsafe(16)
ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="needs PostgreSQL: production settings, the processes share the test database",
    ),
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (broker, cache and beat lock)"),
    pytest.mark.skipif(
        not (BIN / "supervisord").exists(), reason="needs supervisor (requirements.txt)"
    ),
]

_spec = importlib.util.spec_from_file_location("prod_setup", ROOT / "deploy" / "prod_setup.py")
prod_setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prod_setup)


def healthz(port: int) -> int:
    """The status of GET /healthz, or 0 when nothing answers within 2 s."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Stack:
    def __init__(self, conf: Path, port: int, node: str, sender: Celery):
        self.conf, self.port, self.node, self.sender = conf, port, node, sender
        self.run_dir = conf.parent

    def pid(self, program: str) -> int:
        result = subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(self.conf), "pid", program],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return int(result.stdout.strip() or 0)

    def worker_answers(self) -> bool:
        return bool(self.sender.control.ping(destination=[self.node], timeout=0.5))


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        dsn = database_url()
    run_dir = tmp_path_factory.mktemp("supervised")
    port, push_port, name = free_port(), free_port(), f"supervised-{uuid.uuid4().hex[:8]}"
    key = lambda: base64.b64encode(os.urandom(32)).decode()  # noqa: E731
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DATABASE_URL=dsn, CONN_MAX_AGE="0",
        CELERY_BROKER_URL=REDIS_URL, CACHE_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false",
        SECRET_KEY=secrets.token_urlsafe(50), FIELD_ENCRYPTION_KEYS=key(), PII_HMAC_KEY=key(),
        ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0", WEB_BIND="127.0.0.1", PORT=str(port),
        WEB_WORKERS="1", WEB_THREADS="2", WORKER_CONCURRENCY="1", WORKER_PROCESSES="1",
        ONEWINDOW_RUN_DIR=str(run_dir), VENV=str(BIN.parent),
        # A queue and beat state of its own on the shared Redis database.
        CELERY_TASK_DEFAULT_QUEUE=name, CELERY_REDBEAT_KEY_PREFIX=f"{name}:",
        BEAT_SCHEDULE_FILE=str(run_dir / "celerybeat-schedule"),
        # The push server (deploy/run.sh push) on a port and a pub/sub prefix of its own.
        PUSH_PORT=str(push_port), PUSH_REDIS_URL=REDIS_URL, PUSH_PREFIX=name,
        METRICS_TOKEN=METRICS_TOKEN,
    )  # fmt: skip
    conf = run_dir / "supervisord.conf"
    prod_setup.render_supervisor(conf, env)
    log = open(run_dir / "supervisord.out", "a")  # noqa: SIM115 - open while it runs
    supervisord = subprocess.Popen(
        [str(BIN / "supervisord"), "-c", str(conf)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    sender = Celery("supervised", broker=REDIS_URL)
    stack = Stack(conf, port, f"worker-0@{socket.gethostname()}", sender)
    try:
        wait_for(lambda: healthz(port) == 200, 60, "gunicorn under supervisor")
        wait_for(stack.worker_answers, 60, "the Celery worker under supervisor")
        wait_for(lambda: healthz(push_port) == 200, 60, "the push server under supervisor")
        yield stack
    finally:
        supervisord.send_signal(signal.SIGTERM)  # stops every program, then itself
        try:
            supervisord.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(supervisord.pid, signal.SIGKILL)
            supervisord.wait()
        log.close()
        with sender.connection_for_write() as conn:
            client = conn.default_channel.client
            client.delete(name, *client.keys(f"{name}:*"), *client.keys(f"_kombu.*.{name}"))
        sender.close()


class Poller(threading.Thread):
    """GET /healthz every 100 ms until stopped; keeps every status seen."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.statuses, self.halt = port, [], threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.statuses.append(healthz(self.port))
            self.halt.wait(0.1)

    def stop(self) -> list[int]:
        self.halt.set()
        self.join(timeout=10)
        return self.statuses


def test_a_killed_worker_is_back_within_10_seconds_and_the_site_never_stops(stack):
    web, beat, worker = stack.pid("web"), stack.pid("beat"), stack.pid("worker:worker-0")
    poller = Poller(stack.port)
    poller.start()
    time.sleep(0.5)  # a few answers before the kill, to compare with

    os.kill(worker, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: stack.pid("worker:worker-0") not in (0, worker), 10, "a new worker process")
    wait_for(stack.worker_answers, 10 - (time.monotonic() - killed_at), "the new worker to answer")
    back_after = time.monotonic() - killed_at
    time.sleep(0.5)
    statuses = poller.stop()

    assert back_after < 10
    assert len(statuses) >= 10 and set(statuses) == {200}, statuses  # never stopped answering
    assert (stack.pid("web"), stack.pid("beat")) == (web, beat)  # nothing else restarted
    print(f"worker back and answering {back_after:.1f} s after SIGKILL; {len(statuses)} "
          "/healthz polls, all 200")  # fmt: skip


def test_a_killed_gunicorn_master_is_back_and_the_worker_is_left_alone(stack):
    web, worker = stack.pid("web"), stack.pid("worker:worker-0")
    old_workers = children(web)
    os.kill(web, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: stack.pid("web") not in (0, web), 10, "a new gunicorn master")
    # The old master's workers notice they are orphans and leave; the new master's answer.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in old_workers), 20,
             "the orphaned gunicorn workers to exit")  # fmt: skip
    wait_for(lambda: healthz(stack.port) == 200, 20, "the site to answer again")
    new_workers = children(stack.pid("web"))
    assert new_workers and not set(new_workers) & set(old_workers)
    print(f"site answering again {time.monotonic() - killed_at:.1f} s after SIGKILL of gunicorn")
    assert stack.pid("worker:worker-0") == worker and stack.worker_answers()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _healthz_count(port: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        response = conn.getresponse()
        assert response.status == 200
        body = response.read().decode()
    finally:
        conn.close()
    prefix = (
        'onewindow_http_request_duration_seconds_count{method="GET",status="200",view="healthz"}'
    )
    return sum(float(line.split()[-1]) for line in body.splitlines() if line.startswith(prefix))


def test_gunicorn_workers_count_into_the_multiprocess_directory_that_metrics_reads(stack):
    """deploy/run.sh web sets PROMETHEUS_MULTIPROC_DIR: the worker writes its counts to files
    there and /metrics (any worker) reads them all back."""
    before = _healthz_count(stack.port)
    for _ in range(3):
        assert healthz(stack.port) == 200
    assert _healthz_count(stack.port) >= before + 3
    assert list((stack.run_dir / "prometheus-web").glob("*.db"))
