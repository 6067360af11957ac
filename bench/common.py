"""What the benchmarks in bench/ share: the loopback address, a free port, the PostgreSQL
admin connection, waiting for gunicorn, the server's CPU time, percentiles, and `--append`
(the figures of a run added to bench/RESULTS.md under the date and the machine).

Every request of every benchmark goes to 127.0.0.1.
"""

import base64
import contextlib
import datetime as dt
import hashlib
import http.client
import io
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"  # never anything else


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def admin_sql(pg: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def wait_until_up(port: int) -> None:
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


# Keys of the benchmarks' throwaway databases only (fixed, so a database kept with --existing-db
# stays readable): production settings refuse to start without them (core/checks.py).
BENCH_KEYS = {
    "SECRET_KEY": "bench-only-" + hashlib.sha256(b"onewindow bench secret").hexdigest(),
    "FIELD_ENCRYPTION_KEYS": base64.b64encode(hashlib.sha256(b"bench field").digest()).decode(),
    "PII_HMAC_KEY": base64.b64encode(hashlib.sha256(b"bench hmac").digest()).decode(),
}
BENCH_REDIS_CACHE_DB = 9


def bench_cache_url() -> str:
    """A cache shared by all of gunicorn's processes, as production has (rate limits count
    there): Redis when it runs here, else files in a temporary folder."""
    if port_open(6379):
        return f"rediscache://{HOST}:6379/{BENCH_REDIS_CACHE_DB}"
    return f"filecache://{tempfile.mkdtemp(prefix='onewindow-bench-cache-')}"


def server_env(dsn: str, **extra: str) -> dict:
    """The environment of a benchmark's gunicorn: production settings (DEBUG=0) on the
    database `dsn`, plain HTTP on 127.0.0.1, warnings only, a shared cache and the keys the
    start-up checks ask for (the caller's environment wins for those). `extra` adds or
    overrides."""
    return {
        **BENCH_KEYS,
        "CACHE_URL": bench_cache_url(),
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": dsn,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}",  # production settings require it (core/checks.py)
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "600",
        "PYTHONWARNINGS": "ignore",
        **extra,
    }


# Production's worker (deploy/run.sh): gthread, accepting only with a thread free.
WORKER_CLASS = "config.web_worker.ThreadWorker"


def start_gunicorn(env: dict, workers: int, threads: int, log_path: str, *extra: str):
    """gunicorn (WORKER_CLASS, gthread) on a free port of 127.0.0.1 in a session of its own
    (stop it with os.killpg); returns (process, port, open log) once /healthz answers. `extra`:
    more command-line options."""
    port = free_port()
    command = [
        str(Path(PY).parent / "gunicorn"), "config.wsgi:application",
        "--bind", f"{HOST}:{port}", "--worker-class", WORKER_CLASS,
        "--workers", str(workers), "--threads", str(threads),
        "--backlog", "2048", "--keep-alive", "30", "--log-level", "warning", *extra,
    ]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(  # noqa: S603 - the project's own gunicorn
        command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log
    )
    try:
        wait_until_up(port)
    except BaseException:
        os.killpg(server.pid, 15)
        raise
    return server, port, log


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's master and workers (Linux /proc): the server's cost
    per request, whatever else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if master in (pid, ppid):
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def server_processes(master: int) -> list[int]:
    """gunicorn's master and its workers (Linux /proc)."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry.name))
    return pids


def process_cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by the processes `pids` (every thread, the exited ones too), read
    from each one's CPU-time clock (clock_gettime of the pid's CPUCLOCK_SCHED, Linux): exact to
    the nanosecond, where /proc's utime + stime count in clock ticks (10 ms per process), too
    coarse for a block of a few hundred requests. A process gone counts 0."""
    total = 0.0
    for pid in pids:
        try:
            total += time.clock_gettime(((~pid) << 3) | 2)  # CPUCLOCK_SCHED of the process
        except OSError:
            continue
    return total


def percentile(ordered: list[float], pct: float) -> float:
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


# --- the machine and RESULTS.md -----------------------------------------------------------------


def postgres_version(pg: str) -> str:
    try:
        import psycopg

        with psycopg.connect(f"{pg.rstrip('/')}/postgres", connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception as exc:  # noqa: BLE001 - the description must not stop a benchmark
        return f"unknown ({type(exc).__name__})"


def machine(pg: str = f"postgres://postgres@{HOST}:5432") -> str:
    """One line: CPUs, RAM, load average, PostgreSQL and Python versions, host name."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, {memory:.0f} GiB RAM, load average {load}, "
        f"PostgreSQL {postgres_version(pg)}, Python {platform.python_version()}"
    )


def utc_now() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextlib.contextmanager
def appending(path: str | None, script: str, pg: str):
    """With `--append PATH`: what the benchmark prints is also added to PATH, as a section
    headed by the script, its arguments, the UTC date and time and the machine."""
    if not path:
        yield
        return
    started, described, buffer = utc_now(), machine(pg), io.StringIO()
    try:
        with contextlib.redirect_stdout(_Tee(sys.stdout, buffer)):
            yield
    finally:
        arguments = " ".join(sys.argv[1:])
        section = (
            f"\n### `{script}` — {started}\n\n"
            f"Machine: {described} (shared with other work: figures are noisy).  \n"
            f"Command: `python {script} {arguments}`\n\n"
            "```\n" + buffer.getvalue().rstrip() + "\n```\n"
        )
        with open(path, "a", encoding="utf-8") as results:
            results.write(section)
        print(f"[bench] figures appended to {path}", file=sys.__stdout__)
