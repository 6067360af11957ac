"""config/web_worker.py: gunicorn's gthread worker that takes a connection only with a thread
free (a burst of clerks' connections is shared between the workers instead of queueing on the
threads of the one that woke first), and core/warmup.py, what each worker loads before its
first request (config/wsgi.py)."""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.conf import settings

from core.warmup import warm_up

from .processes import free_port, stop_group, wait_for

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _get(port: int, query: str = "0") -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"/?{query}")
        response = conn.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        conn.close()


def _up(port: int) -> bool:
    try:
        return bool(_get(port))
    except OSError:
        return False


@contextlib.contextmanager
def _gunicorn(tmp_path, *, workers: int, threads: int):
    """tests/slow_wsgi.py under gunicorn with the project's worker; yields the port once every
    worker answers."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - the project's gunicorn, its test application
        [GUNICORN, "tests.slow_wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "config.web_worker.ThreadWorker", "--workers", str(workers),
         "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _up(port), 60, "gunicorn to answer")
        # Every worker up: each answers once it has booted (one may still be warming up).
        wait_for(
            lambda: len({_get(port).split()[0] for _ in range(10)}) == workers, 60, "the workers"
        )
        yield port
    finally:
        stop_group(server)
        log.close()


def test_a_burst_of_connections_is_shared_between_the_workers(tmp_path):
    """Two workers of one thread each, four requests of 1 s arriving at once: each worker
    serves two, one after the other (gunicorn's own gthread worker accepts all four if it
    wakes first, and queues three on its one thread while the other worker sleeps)."""
    with _gunicorn(tmp_path, workers=2, threads=1) as port:
        start = threading.Barrier(4)
        answers = []

        def client() -> None:
            start.wait()
            answers.append(_get(port, "1.0").split()[0])

        clients = [threading.Thread(target=client) for _ in range(4)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    assert sorted(Counter(answers).values()) == [2, 2], (
        answers,
        (tmp_path / "gunicorn.log").read_text(),
    )


def test_connections_opened_ahead_hold_no_thread(tmp_path):
    """Two workers of one thread each, two connections opened and left silent: a third
    client's request is answered at once (gthread gives each new connection a thread that
    waits up to 5 s for its first request)."""
    with _gunicorn(tmp_path, workers=2, threads=1) as port:
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        try:
            time.sleep(0.2)  # both would have been accepted by now
            started = time.monotonic()
            _get(port)
            waited = time.monotonic() - started
        finally:
            for sock in silent:
                sock.close()
    assert waited < 2.5, f"{waited:.1f} s"


def test_warm_up_loads_every_language_and_compiles_every_project_template():
    """A template that does not compile would fail here, not in a clerk's first request."""
    done = warm_up()
    assert done["languages"] == len(settings.LANGUAGES)
    assert done["failed"] == 0
    assert done["templates"] > 50  # the project's pages, partials and mails
