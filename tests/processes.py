"""What the tests that start real processes share: a free port, a poll with a deadline,
stopping a process group and a migrated SQLite database file."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path


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


def migrated_sqlite(path: Path) -> None:
    """A migrated database file at `path` for a process of the project's own: a copy of the
    migrated template the test databases are made from (tests/databases.py), made by the first
    test to need it and kept between runs. The same tables and rows (post_migrate's content
    types and permissions) as `manage.py migrate` leaves, for milliseconds instead of 3 CPU s."""
    from tests.databases import sqlite_template

    source, target = sqlite3.connect(sqlite_template()), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
