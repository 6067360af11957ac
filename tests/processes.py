"""What the tests that start real processes share: a free port, a poll with a deadline,
stopping a process group and a migrated SQLite database file."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

# The test database as migrated, copied to a file before any test wrote to it (conftest.py
# `django_db_setup`, SQLite runs only).
MIGRATED_SQLITE: Path | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll `condition` until it returns something true (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process started in a session of its own, and its children: SIGTERM to the group,
    SIGKILL if it has not ended within `timeout` seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def migrated_sqlite(path: Path, env: dict) -> None:
    """A migrated database file at `path` for a process of the project's own: a copy of the
    test database as migrated (`MIGRATED_SQLITE`) when the run has one, else `manage.py migrate`
    with `env` (its DATABASE_URL names `path`). The copy is the same tables and rows (the
    content types and permissions of post_migrate) for milliseconds; `migrate` costs 3 CPU s."""
    if MIGRATED_SQLITE is None:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], env=env, check=True,
                       cwd=Path(__file__).resolve().parent.parent, timeout=300)  # fmt: skip
        return
    source, target = sqlite3.connect(MIGRATED_SQLITE), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
