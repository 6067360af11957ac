"""Release-day rush: hundreds of residents press "book" at once (`make bench-booking`).

What it does, end to end:
1. creates a fresh PostgreSQL database, migrates it and loads the demo city (seed_demo);
2. picks the newest released day, fills a share of its slots completely (bookings written
   directly, so those slots are full before the rush), and creates an API client;
3. starts gunicorn (gthread workers) on a free port of 127.0.0.1, production settings (DEBUG=0),
   Celery tasks queued to Redis when it runs (no worker: notifications are not the web tier's
   work), otherwise kept in memory;
4. measures requests per second and server CPU on the trivial /healthz view and on the floor
   booking (bench/_floor_urls.py: one conditional UPDATE and one INSERT, served by the same
   gunicorn from floor tables in the same database) with the same client;
5. the rush: `--clients` concurrent clients (threads over `--procs` processes, each with a
   keep-alive connection), each booking for new residents with unique valid ID numbers at a
   random slot of that day, until `--residents` attempts were made;
6. prints bookings committed per second, p50/p95/p99 latency, answers by status, the ratio to
   /healthz, the server CPU per request of /healthz, the floor and the booking with the ratio
   booking ÷ floor (issue 13: at most 2), and the SQL check that no slot holds more bookings
   than its capacity;
7. stops the server and drops the database (unless --keep-db).

Every request goes to 127.0.0.1.
"""
# The subprocesses run this interpreter and the project's own commands; random picks slots for
# the simulated residents, not secrets.
# ruff: noqa: S311, S603

import argparse
import collections
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from common import (  # bench/common.py: what the benchmarks share
    HOST,
    PY,
    ROOT,
    admin_sql,
    appending,
    percentile,
    port_open,
    say,
    server_cpu_seconds,
    server_env,
    start_gunicorn,
)

# The broker's Redis db (nobody consumes it; purged at the end): BENCH_BROKER_DB to share the
# machine with another run.
REDIS_DB = int(os.environ.get("BENCH_BROKER_DB", "13"))
PREFILLED_NAME = "预填"  # the bookings that fill some slots before the rush
WARM_NAME = "预热"  # the warm-up bookings, on the day before the rush day


# --- setup (runs inside Django, in a subprocess with the bench environment) -------------------


def _setup(full_share: float, seed: int) -> dict:
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from accounts.actions import api_client_create
    from appointments import selectors
    from appointments.models import Booking, Slot
    from core.crypto import encrypt_text, pii_hmac
    from core.idnumbers import mask_id_number

    now = timezone.now()
    slots = list(
        Slot.objects.filter(start__gt=now, is_closed=False, bookable__gt=0)
        # Slots booked for one service (a schedule of 一件事 visits only offers none).
        .filter(schedule__services__isnull=False)
        .distinct()
        .select_related("schedule")
        .prefetch_related("schedule__services")
    )
    open_now = [s for s in slots if selectors.slot_window(s).state(now) == "open"]
    # The open day with the most slots (the latest of equals): the newest released day when the
    # run falls on a weekday, but not a Sunday's release of next Sunday (14 slots and 72 places
    # against 180 and 729 in the demo): the figures must not depend on the day the bench runs.
    per_day = collections.Counter(timezone.localtime(s.start).date() for s in open_now)
    day = max(per_day, key=lambda d: (per_day[d], d))
    rush = [s for s in open_now if timezone.localtime(s.start).date() == day]
    rng = random.Random(seed)
    full = rng.sample(rush, int(len(rush) * full_share))
    with transaction.atomic():
        rows = []
        for n, slot in enumerate(full):
            for k in range(slot.bookable):
                number = resident_id(10_000_000 + n * 100 + k)
                rows.append(
                    Booking(
                        code=f"BENCH{len(rows):07d}"[-12:],
                        slot=slot,
                        service=slot.schedule.services.all()[0],
                        office_id=slot.office_id,
                        start=slot.start,
                        name=PREFILLED_NAME,
                        id_number_enc=encrypt_text(number),
                        id_number_hmac=pii_hmac(number),
                        id_masked=mask_id_number(number),
                        phone="13800138000",
                    )
                )
        Booking.objects.bulk_create(rows)
        Slot.objects.filter(pk__in=[s.pk for s in full]).update(booked=F("bookable"))
    _client, token = api_client_create(name="booking rush", rate="100000/second")
    targets = [[s.pk, [svc.code for svc in s.schedule.services.all()]] for s in rush]
    return {
        "token": token,
        "day": day.isoformat(),
        "targets": targets,
        # The day before the rush day: real bookings there warm every server thread's booking
        # path (broker connection, audit chain, first statements) without touching the rush.
        "warm_targets": [
            [s.pk, [svc.code for svc in s.schedule.services.all()]]
            for s in open_now
            if timezone.localtime(s.start).date() == day - dt.timedelta(days=1)
            and s.bookable - s.booked > 0
        ],
        "slots": len(rush),
        "full_slots": len(full),
        "places": sum(s.bookable for s in rush),
        "places_free": sum(s.bookable for s in rush) - len(rows),
    }


def resident_id(n: int) -> str:
    """A valid, unique 18-character ID number for every n (birth date and sequence vary)."""
    from core.idnumbers import id_check_char

    born = dt.date(1950, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"430102{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


# --- the client --------------------------------------------------------------------------------


def _client_process(port, jobs, headers, kind, ready, go, out, threads, path, rate):
    """One process of `threads` clients; each thread keeps one connection alive.

    Without `rate` (closed loop) a client sends its next request as soon as an answer arrives.
    With `rate` (requests/s for this process; open loop) request i is due at start + i/rate,
    residents arriving at that pace whatever the server does; its latency counts from when it
    was due, so a request that waited for a free client counts that wait too."""
    results: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    queue = list(reversed(list(enumerate(jobs))))
    begin, begun = [0.0], threading.Event()

    def next_job():
        with lock:
            return queue.pop() if queue else None

    def run():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine = []
        barrier.wait()
        begun.wait()
        while (item := next_job()) is not None:
            index, job = item
            if rate:
                due = begin[0] + index / rate
                time.sleep(max(0.0, due - time.perf_counter()))
                t0, started = due, time.time() - (time.perf_counter() - due)
            else:
                t0, started = time.perf_counter(), time.time()
            try:
                if kind == "healthz":
                    conn.request("GET", "/healthz", headers=headers)
                else:
                    conn.request("POST", path, body=job, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                error = ""
                if status >= 400 and body:
                    try:
                        error = json.loads(body).get("error", "")
                    except ValueError:
                        error = "not-json"
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=60)
            except (OSError, http.client.HTTPException) as exc:
                status, error = 0, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            mine.append((status, error, time.perf_counter() - t0, started, time.time()))
        conn.close()
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    ready.put(True)
    go.wait()
    begin[0] = time.perf_counter()
    begun.set()
    for thread in pool:
        thread.join()
    out.put(results)


def hammer(
    port: int,
    jobs: list,
    headers: dict,
    kind: str,
    clients: int,
    procs: int,
    path: str = "/api/v1/bookings/",
    rate: float | None = None,
) -> dict:
    """Send all jobs with `clients` concurrent keep-alive clients; returns the measurements.
    kind "healthz" GETs /healthz; any other kind POSTs each job to `path`. With `rate`
    (requests/s in all), the jobs are due at that pace (open loop, see _client_process)."""
    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    shares = [jobs[i::procs] for i in range(procs)]
    workers = [
        ctx.Process(
            target=_client_process,
            args=(
                port,
                shares[i],
                headers,
                kind,
                ready,
                go,
                out,
                per_proc[i],
                path,
                rate / procs if rate else None,
            ),
        )
        for i in range(procs)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    go.set()
    results = [row for _ in workers for row in out.get(timeout=900)]
    for worker in workers:
        worker.join()
    first = min(r[3] for r in results)
    last = max(r[4] for r in results)
    latencies = sorted(r[2] for r in results)
    return {
        "requests": len(results),
        "seconds": last - first,
        "per_second": len(results) / (last - first),
        "statuses": Counter(r[0] for r in results),
        "errors": Counter(f"{r[0]} {r[1]}" for r in results if r[0] >= 400 or r[0] == 0),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1],
    }


def measure(
    server, port: int, jobs: list, headers: dict, kind: str, clients: int, procs: int, **options
) -> dict:
    """hammer(), plus the server CPU per request of gunicorn's processes ("cpu_ms")."""
    cpu = server_cpu_seconds(server.pid)
    result = hammer(port, jobs, headers, kind, clients, procs, **options)
    result["cpu_ms"] = (server_cpu_seconds(server.pid) - cpu) * 1000 / result["requests"]
    return result


def booking_job(slot_id: int, service: str, name: str, n: int, phone_prefix: str) -> str:
    """The API body of one resident's booking: resident n's ID number, a mobile number of n."""
    return json.dumps(
        {
            "slot": slot_id,
            "service": service,
            "name": name,
            "id_number": resident_id(n),
            "phone": f"{phone_prefix}{n:08d}",
        }
    )


# --- the checks --------------------------------------------------------------------------------

OVERBOOKED_SQL = """
SELECT s.id, s.capacity, s.bookable, s.booked, count(b.id) AS held
FROM appointments_slot s
LEFT JOIN appointments_booking b ON b.slot_id = s.id AND b.status <> 'cancelled'
GROUP BY s.id
HAVING count(b.id) > s.capacity OR count(b.id) > s.bookable OR s.booked <> count(b.id)
"""
DOUBLE_SQL = """
SELECT id_number_hmac, service_id, count(*) FROM appointments_booking
WHERE status = 'booked' GROUP BY id_number_hmac, service_id HAVING count(*) > 1
"""


def sql_checks(dsn: str) -> dict:
    import psycopg

    with psycopg.connect(dsn) as conn:
        bad = conn.execute(OVERBOOKED_SQL).fetchall()
        doubles = conn.execute(DOUBLE_SQL).fetchall()
        total = conn.execute(
            "SELECT count(*) FROM appointments_booking WHERE name NOT IN (%s, %s)",
            (PREFILLED_NAME, WARM_NAME),
        ).fetchone()[0]
    return {"overbooked_or_miscounted": bad, "double_bookings": doubles, "rush_bookings": total}


# --- orchestration -----------------------------------------------------------------------------


def run(args) -> int:
    pg = args.pg.rstrip("/")
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'onewindow_bench')}_{os.getpid()}"
    dsn = f"{pg}/{name}"
    # The production settings plus the floor view's URL (bench/_floor_settings.py).
    env = server_env(
        dsn,
        DJANGO_SETTINGS_MODULE="_floor_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
    )
    if port_open(6379):
        env["CELERY_BROKER_URL"] = f"redis://{HOST}:6379/{REDIS_DB}"
        broker = f"Redis db {REDIS_DB} (queued, no worker)"
    else:
        env["CELERY_TASK_ALWAYS_EAGER"] = "false"
        broker = "in-memory (queued, no worker)"
    admin_sql(pg, f'CREATE DATABASE "{name}"')
    server = None
    try:
        say(f"database {name}: migrate + seed_demo")
        for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--quiet"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True)
        setup = json.loads(
            subprocess.run(
                [
                    PY,
                    __file__,
                    "--_setup",
                    "--full-share",
                    str(args.full_share),
                    "--seed",
                    str(args.seed),
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.splitlines()[-1]
        )
        floor_reset = _floor_tables(dsn, args.seed)
        server, port, log = start_gunicorn(env, args.workers, args.threads, args.server_log)
        report(args, setup, broker, port)

        headers = {"Accept-Language": "en"}
        booking_headers = {
            "Accept-Language": "en",
            "Authorization": f"Token {setup['token']}",
            "Content-Type": "application/json",
        }
        # Warm-up: every server thread opens its database connection and imports what the
        # booking path needs; invalid ID numbers, so nothing is booked.
        invalid = json.dumps(
            {
                "slot": setup["targets"][0][0],
                "service": "x",
                "name": "x",
                "id_number": "430102195001010000",
                "phone": "13900000000",
            }
        )
        hammer(port, [invalid] * 400, booking_headers, "booking", args.clients, args.procs)
        warm_rng = random.Random(args.seed + 1)
        warm = [
            booking_job(slot_id, warm_rng.choice(services), WARM_NAME, 900_000 + n, "137")
            for n, (slot_id, services) in enumerate(setup["warm_targets"][:200])
        ]
        hammer(port, warm, booking_headers, "booking", min(args.clients, 16), args.procs)
        hammer(port, [""] * 2000, headers, "healthz", args.clients, args.procs)
        health = measure(
            server, port, [""] * args.healthz_requests, headers, "healthz", args.clients, args.procs
        )
        show("GET /healthz", health)
        floor = _measure_floor(server, port, args, floor_reset)
        show("POST /bench/floor/ (the floor booking)", floor)

        rng = random.Random(args.seed)
        jobs = []
        for n in range(args.residents):
            slot_id, services = rng.choice(setup["targets"])
            jobs.append(booking_job(slot_id, rng.choice(services), "张三", n, "139"))
        rush = measure(
            server, port, jobs, booking_headers, "booking", args.clients, args.procs, rate=args.rate
        )
        show("POST /api/v1/bookings/", rush)

        committed = rush["statuses"].get(201, 0)
        server_errors = sum(n for status, n in rush["statuses"].items() if status >= 500)
        ratio = rush["per_second"] / health["per_second"]
        print()
        print(f"bookings committed:        {committed} in {rush['seconds']:.2f} s "
              f"= {committed / rush['seconds']:.1f} bookings/s")  # fmt: skip
        print(f"booking requests/s:        {rush['per_second']:.1f}")
        print(f"/healthz requests/s:       {health['per_second']:.1f}")
        if args.rate:
            print(f"ratio booking / healthz:   {ratio:.2f}  (open loop at {args.rate:g}/s: "
                  "the pace, not the server's limit)")  # fmt: skip
        else:
            print(f"ratio booking / healthz:   {ratio:.2f}  (target >= 0.5)")
        committed_ratio = committed / rush["seconds"] / health["per_second"]
        print(f"committed/s / healthz:     {committed_ratio:.2f}")
        cpu_ratio = health["cpu_ms"] / rush["cpu_ms"]
        print(
            f"ratio of server CPU cost:  {cpu_ratio:.3f}  (healthz CPU / booking CPU per request)"
        )
        print(f"p99 booking latency:       {rush['p99'] * 1000:.0f} ms  (target < 250 ms)")
        print(
            f"server CPU per request:    /healthz {health['cpu_ms']:.2f} ms, floor "
            f"{floor['cpu_ms']:.2f} ms, booking {rush['cpu_ms']:.2f} ms"
        )
        print(
            f"ratio booking / floor CPU: {rush['cpu_ms'] / floor['cpu_ms']:.2f}  (target <= 2)"
        )
        print(f"server errors (5xx):       {server_errors}")
        print(f"connection errors:         {rush['statuses'].get(0, 0)}")

        print(f"load average after:        {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        if server_errors:
            log.flush()
            tail = Path(args.server_log).read_text(errors="replace").splitlines()[-25:]
            print("server log (last lines):", *tail, sep="\n  ")

        checks = sql_checks(dsn)
        print()
        print("final check (SQL):")
        print(f"  bookings made in the rush:                      {checks['rush_bookings']}")
        print(f"  slots with more bookings than capacity/bookable, or a miscounted counter: "
              f"{len(checks['overbooked_or_miscounted'])}")  # fmt: skip
        print(f"  people with two active bookings for one service: "
              f"{len(checks['double_bookings'])}")  # fmt: skip
        for row in checks["overbooked_or_miscounted"][:10]:
            print("   ", row)
        checks_ok = not checks["overbooked_or_miscounted"] and not checks["double_bookings"]
        jobs_ok = checks["rush_bookings"] == committed and server_errors == 0
        print("OVERBOOKING: none" if checks_ok else "OVERBOOKING FOUND")
        if checks["rush_bookings"] != committed:
            print(f"  mismatch: {committed} answered 201, {checks['rush_bookings']} in the DB")
        return 0 if checks_ok and jobs_ok else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if env.get("CELERY_BROKER_URL", "").startswith("redis://"):
            purge_redis_queue()
        if not args.keep_db:
            admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            say(f"kept database {name}")
        say(f"server log: {args.server_log}")


def _floor_tables(dsn: str, seed: int):
    """The floor view's two tables (bench/booking_floor.py) beside the project's; returns the
    function that fills them anew."""
    import psycopg
    from booking_floor import SCHEMA, reset

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in SCHEMA:
            conn.execute(statement)
    return lambda: reset(dsn, seed)


def _measure_floor(server, port: int, args, floor_reset) -> dict:
    """The floor booking with the rush's own client, as many attempts as the rush."""
    from booking_floor import FLOOR, SLOTS

    posting = {"Accept-Language": "en", "Content-Type": "application/json"}
    floor_reset()
    warm = [json.dumps({"slot": n % SLOTS + 1}) for n in range(400)]
    hammer(port, warm, posting, "floor", args.clients, args.procs, path=FLOOR)
    floor_reset()
    rng = random.Random(args.seed)
    jobs = [
        json.dumps({"slot": rng.randint(1, SLOTS), "name": "张三"}) for _ in range(args.residents)
    ]
    return measure(server, port, jobs, posting, "floor", args.clients, args.procs, path=FLOOR)


def purge_redis_queue() -> None:
    """Drop the notification tasks the rush queued (nobody consumes them)."""
    try:
        import redis

        client = redis.Redis(host=HOST, port=6379, db=REDIS_DB)
        keys = list(client.scan_iter("celery*")) + list(client.scan_iter("_kombu*"))
        if keys:
            client.delete(*keys)
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
        say(f"could not purge the Redis queue: {exc}")


def report(args, setup: dict, broker: str, port: int) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    say(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, {memory:.0f} GiB "
        f"RAM; load average before: {load}"
    )
    say(
        f"gunicorn gthread {args.workers} workers x {args.threads} threads on {HOST}:{port}; "
        f"Celery broker: {broker}"
    )
    say(
        f"rush day {setup['day']}: {setup['slots']} slots, {setup['places']} places online, "
        f"{setup['full_slots']} slots already full, {setup['places_free']} places free; "
        f"{args.residents} residents, {args.clients} concurrent clients in {args.procs} processes"
        + (f", arriving at {args.rate:g} a second (open loop)" if args.rate else "")
    )


def show(title: str, m: dict) -> None:
    print()
    print(f"{title}: {m['requests']} requests in {m['seconds']:.2f} s = {m['per_second']:.1f}/s")
    print(
        f"  latency p50 {m['p50'] * 1000:.1f} ms, p95 {m['p95'] * 1000:.1f} ms, "
        f"p99 {m['p99'] * 1000:.1f} ms, max {m['max'] * 1000:.1f} ms"
    )
    print(f"  by status: {dict(sorted(m['statuses'].items()))}")
    print(f"  server CPU per request (gunicorn processes): {m['cpu_ms']:.2f} ms")
    if m["errors"]:
        print(f"  errors: {dict(m['errors'].most_common())}")


def main() -> int:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", f"postgres://postgres@{HOST}:5432")
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--residents", type=int, default=3000, help="booking attempts")
    parser.add_argument(
        "--rate",
        type=float,
        help="open loop: booking attempts due per second in all (residents arriving at that "
        "pace, latency counted from when each was due); default: closed loop, each client "
        "sends again as soon as it has its answer",
    )
    parser.add_argument("--healthz-requests", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=cores * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full-share", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--server-log", default=str(Path(tempfile.gettempdir()) / "onewindow-bench-server.log")
    )
    parser.add_argument("--append", metavar="PATH", help="add the figures to PATH (RESULTS.md)")
    parser.add_argument("--_setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args._setup:
        print(json.dumps(_setup(args.full_share, args.seed)))
        return 0
    with appending(args.append, "bench/booking_rush.py", args.pg):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
