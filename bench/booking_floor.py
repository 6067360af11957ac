"""The floor under the booking rush targets: what this machine gives the cheapest possible
guarded booking, next to /healthz, at several numbers of concurrent clients
(`make bench-floor`).

bench/booking_rush.py measures the real booking API against /healthz. This benchmark asks
how far any booking code could get on the same machine and stack: it serves, with the same
gunicorn, production settings and middleware, one extra view (bench/_floor_urls.py) that does
only a conditional UPDATE of a slot counter and one INSERT in one durable transaction. The
real booking does all of that and more (token, validation, rules, encryption, audit,
notification), so it cannot be faster than this floor. For each `--clients` value the script
measures /healthz and the floor view with the same client as the rush and prints throughput,
the ratio to /healthz, p50/p99 and the server CPU per request.

The database (`onewindow_floor_<pid>`) has only the two floor tables, shaped like the rush day
(720 slots, about 2,500 places, 15 % of the slots full); it is reset before each round and
dropped at the end. Every request goes to 127.0.0.1.
"""
# The subprocess is the project's own gunicorn; random picks slots, not secrets.
# ruff: noqa: S311, S603

import argparse
import json
import os
import random
import signal
import sys
import tempfile
from pathlib import Path

from booking_rush import measure
from common import (
    HOST,
    ROOT,
    admin_sql,
    appending,
    say,
    server_env,
    start_gunicorn,
    utc_now,
)

SLOTS = 720
FLOOR = "/bench/floor/"  # the floor view (bench/_floor_urls.py)
SCHEMA = [
    "CREATE TABLE floor_slot (id integer PRIMARY KEY, bookable integer NOT NULL, "
    "booked integer NOT NULL DEFAULT 0, full_at_start boolean NOT NULL)",
    "CREATE TABLE floor_booking (id bigserial PRIMARY KEY, "
    "slot_id integer NOT NULL REFERENCES floor_slot, payload text NOT NULL, "
    "created timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX ON floor_booking (slot_id)",
]


def reset(dsn: str, seed: int) -> None:
    """Every round starts from the same day: 3 or 4 places a slot, 15 % of the slots full."""
    import psycopg

    rng = random.Random(seed)
    rows = [(n, 3 + n % 2, rng.random() < 0.15) for n in range(1, SLOTS + 1)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE floor_booking, floor_slot")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO floor_slot (id, bookable, booked, full_at_start) "
                "VALUES (%s, %s, CASE WHEN %s THEN %s ELSE 0 END, %s)",
                [(n, places, full, places, full) for n, places, full in rows],
            )


def overbooked(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT count(*) FROM (SELECT s.id FROM floor_slot s "
            "LEFT JOIN floor_booking b ON b.slot_id = s.id GROUP BY s.id "
            "HAVING count(b.id) + CASE WHEN s.full_at_start THEN s.bookable ELSE 0 END "
            "<> s.booked OR s.booked > s.bookable) AS bad"
        ).fetchone()[0]


def run(args) -> int:
    pg = args.pg.rstrip("/")
    name = f"onewindow_floor_{os.getpid()}"
    dsn = f"{pg}/{name}"
    env = server_env(
        dsn,
        DJANGO_SETTINGS_MODULE="_floor_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    import psycopg

    admin_sql(pg, f'CREATE DATABASE "{name}"')
    server = None
    failed = False
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in SCHEMA:
                conn.execute(statement)
        server, port, log = start_gunicorn(env, args.workers, args.threads, args.server_log)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        say(f"{utc_now()}; {os.cpu_count()} CPUs; load average before: {load}")
        say(
            f"gunicorn gthread {args.workers} workers x {args.threads} threads on {HOST}:{port}, "
            f"production settings + the floor view; {args.requests} requests per measurement"
        )
        plain = {"Accept-Language": "en"}
        posting = {**plain, "Content-Type": "application/json"}
        reset(dsn, args.seed)
        # Warm-up: every server thread opens its database connection.
        warm = [json.dumps({"slot": n % SLOTS + 1}) for n in range(400)]
        measure(server, port, warm, posting, "floor", max(args.clients), args.procs, path=FLOOR)
        measure(server, port, [""] * 2000, plain, "healthz", max(args.clients), args.procs)

        print()
        print(
            "| clients | /healthz req/s | /healthz p99 | floor req/s | floor committed/s "
            "| ratio floor / healthz | floor p50 | floor p99 | server CPU healthz / floor "
            "| 201 / 409 / other | overbooked |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for clients in args.clients:
            reset(dsn, args.seed)
            rng = random.Random(args.seed + clients)
            jobs = [
                json.dumps({"slot": rng.randint(1, SLOTS), "name": "张三"})
                for _ in range(args.requests)
            ]
            health = measure(
                server, port, [""] * args.requests, plain, "healthz", clients, args.procs
            )
            floor = measure(server, port, jobs, posting, "floor", clients, args.procs, path=FLOOR)
            statuses = floor["statuses"]
            other = sum(n for status, n in statuses.items() if status not in (201, 409))
            bad = overbooked(dsn)
            failed |= bool(other or bad or health["statuses"].get(200) != args.requests)
            print(
                f"| {clients} | {health['per_second']:.0f} | {health['p99'] * 1000:.0f} ms "
                f"| {floor['per_second']:.0f} | {statuses.get(201, 0) / floor['seconds']:.0f} "
                f"| {floor['per_second'] / health['per_second']:.2f} "
                f"| {floor['p50'] * 1000:.0f} ms | {floor['p99'] * 1000:.0f} ms "
                f"| {health['cpu_ms']:.2f} / {floor['cpu_ms']:.2f} ms "
                f"| {statuses.get(201, 0)} / {statuses.get(409, 0)} / {other} | {bad} |",
                flush=True,
            )
        print()
        print(
            "targets of the booking rush: ratio >= 0.5 and p99 < 250 ms at 200 clients; the real "
            "booking does everything the floor does and more, so it cannot beat these figures"
        )
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average after: {load}")
        return 1 if failed else 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        say(f"server log: {args.server_log}")


def main() -> int:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", f"postgres://postgres@{HOST}:5432")
    )
    parser.add_argument(
        "--clients",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[10, 50, 100, 200],
        help="comma-separated numbers of concurrent clients, one round each",
    )
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--requests", type=int, default=3000, help="per measurement")
    parser.add_argument("--workers", type=int, default=cores * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--server-log",
        default=str(Path(tempfile.gettempdir()) / "onewindow-bench-floor-server.log"),
    )
    parser.add_argument("--append", metavar="PATH", help="add the figures to PATH (RESULTS.md)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with appending(args.append, "bench/booking_floor.py", args.pg):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
