"""A busy morning at the counters: many clerks call, start and finish at once (`make bench-queue`).

What it does, end to end:
1. creates a fresh PostgreSQL database, migrates it and loads the demo city (seed_demo);
2. takes `--clerks` counters across the demo offices, gives each a clerk (role "clerk" at that
   office, a TOTP device and a session already past the second factor, as after a real sign-in),
   and draws `--tickets` walk-in tickets for the services those counters serve;
3. starts gunicorn (gthread workers) on a free port of 127.0.0.1, production settings (DEBUG=0),
   like bench/booking_rush.py (whose helpers it reuses);
4. measures the server CPU per request of `/healthz` (the yardstick);
5. the open loop: `--open-clerks` clerks (default 20), each acting once a second (call next,
   start, finish, call next…) for `--open-seconds`, whatever the server does; each action's
   latency counts from when it was due; meanwhile one waiting-room screen per office polls its
   live part every second, as in the hall;
6. each kind on its own: every clerk presses the same key at the same moment (call next, then
   start, then finish; `--kind-rounds` times), and the server's CPU is read between the steps,
   when nothing else is in flight: the CPU per request of each kind of console action;
7. the ratio, measured with its floor: `--rounds` short rounds (after one warm-up round; each
   clerk has tickets of its own for them, drawn last), each a block of `/healthz` GETs and a
   block of console actions (every clerk `--cycles` times call next → start → finish) on the
   same keep-alive connections to the same gunicorn processes, in alternate order; the
   server's CPU is read from each process's CPU clock before and after each block, when
   nothing is in flight. The median of the rounds' ratios (console action ÷ /healthz) is the
   figure held against the target, with its spread: /healthz measured once, a minute before
   the closed loop, moved with the machine's load on its own (1.00 against 1.51 ms in two
   quiet runs) and so did the ratio;
8. the closed loop: every clerk, in its own thread with a keep-alive connection, drives the real
   counter console over HTTP (htmx POSTs, CSRF token included): call next → start → finish, as
   fast as answers come, until its queue is empty; no screens, so the server CPU of this phase
   divided by its requests is the CPU per console action, set against /healthz's;
9. prints p50/p95/p99 latency per console action for both loops, and checks in SQL and from the
   answers that no ticket was called twice and none was lost (every ticket drawn is finished,
   exactly one "called" event each);
10. stops the server and drops the database (unless --keep-db).

Every request goes to 127.0.0.1.
"""
# The subprocesses run this interpreter and the project's own commands.
# ruff: noqa: S603

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from booking_rush import measure  # noqa: E402 - the /healthz yardstick, as the booking bench
from common import (  # noqa: E402 - bench/common.py, the same server set-up as booking_rush
    HOST,
    PY,
    WORKER_CLASS,
    admin_sql,
    appending,
    percentile,
    port_open,
    process_cpu_seconds,
    say,
    server_cpu_seconds,
    server_env,
    server_processes,
    start_gunicorn,
)

LANG = "en"
# gunicorn's access log: the request's X-Bench-Id, its time in the server (µs), the worker.
ACCESS_FORMAT = "%({x-bench-id}i)s %(D)s %(p)s"


# --- setup (runs inside Django, in a subprocess with the bench environment) -------------------


def _setup(clerks: int, tickets: int, per_clerk: int = 0) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils.module_loading import import_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.actions import staff_role_grant
    from queues import actions
    from services.models import Counter
    from services.selectors import counter_services

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    counters = list(
        Counter.objects.filter(is_active=True, office__is_active=True)
        .select_related("office")
        .prefetch_related("services", "office__services")
        .order_by("office__code", "number")[:clerks]
    )
    stations, served = [], {}
    for n, counter in enumerate(counters):
        user = get_user_model().objects.create_user(
            username=f"bench-clerk-{n}", password=None, email=f"bench{n}@onewindow.test"
        )
        staff_role_grant(user=user, role="clerk", office=counter.office)
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        actions.counter_open(counter=counter, clerk=user)
        stations.append(
            {"counter": counter.pk, "session": session.session_key, "csrf": _get_new_csrf_string()}
        )
        for service in counter_services(counter):
            served[(counter.office_id, service.pk)] = (counter.office, service)
    pairs = sorted(served.values(), key=lambda p: (p[0].pk, p[1].pk))
    drawn = [
        actions.ticket_take_walk_in(
            office=pairs[i % len(pairs)][0], service=pairs[i % len(pairs)][1]
        )
        for i in range(tickets)
    ]
    # The interleaved rounds' tickets: `per_clerk` for a service of each counter, drawn after
    # the others (the queues' tail), so the open loop and the per-kind phase see the same
    # queues as without them, and the rounds find every clerk something to call.
    for _ in range(per_clerk):
        for counter in counters:
            service = counter_services(counter)[0]
            drawn.append(actions.ticket_take_walk_in(office=counter.office, service=service))
    offices = sorted({c.office.code for c in counters})
    return {
        "stations": stations,
        "offices": offices,
        "tickets": [t.pk for t in drawn],
        "services": len(pairs),
    }


# --- the clerks and the screens ------------------------------------------------------------------

CURRENT = re.compile(r'id="btn-start"')
REQUEST_IDS = itertools.count()  # X-Bench-Id: finds each request's line in the access log
TICKET = re.compile(r'name="ticket" value="(\d+)"')


class Station(threading.Thread):
    """One clerk at one counter: call next, start, finish. Closed loop (`rate` None): as fast as
    answers come, until nobody is waiting. Open loop: one action every 1/`rate` s from
    `t0 + offset` until `t0 + seconds` (then the ticket in hand is finished); latency counts
    from when the action was due."""

    def __init__(self, port, station, go, results, lock, *, rate=None, seconds=0.0, offset=0.0):
        super().__init__()
        self.port, self.station, self.go = port, station, go
        self.results, self.lock = results, lock
        self.rate, self.seconds, self.offset = rate, seconds, offset
        self.headers = {
            "Cookie": f"sessionid={station['session']}; csrftoken={station['csrf']}",
            "X-CSRFToken": station["csrf"],
            "HX-Request": "true",
            "HX-Target": "current",  # as the browser sends for the ticket panel's buttons
            "Accept-Language": LANG,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.requests = 0  # sent on this clerk's connection so far

    def post(self, conn, action: str, body: str = "", due: float | None = None):
        url = f"/{LANG}/staff/console/{self.station['counter']}/do/{action}/"
        if due is not None:
            time.sleep(max(0.0, due - time.perf_counter()))
        rid = f"{self.station['counter']}.{next(REQUEST_IDS)}"
        sent = time.perf_counter()
        t0 = sent if due is None else due
        try:
            conn.request("POST", url, body=body, headers={**self.headers, "X-Bench-Id": rid})
            response = conn.getresponse()
            text = response.read().decode()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, text = 0, type(exc).__name__
            conn.close()
        done = time.perf_counter()
        with self.lock:
            self.results["latency"].append((action, status, done - t0))
            self.results.setdefault("trace", []).append(
                {"id": rid, "kind": action, "late": sent - t0, "latency": done - t0,
                 "first": self.requests == 0}
            )  # fmt: skip
        self.requests += 1
        return status, text

    def run(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.go.wait()
        mine = self.open_loop(conn) if self.rate else self.closed_loop(conn)
        conn.close()
        with self.lock:
            self.results["called"] += mine
            self.results["ended"].append(time.time())

    def cycle(self, conn, due) -> int | None:
        """call next → start → finish; the ticket, or None when nobody was waiting."""
        status, text = self.post(conn, "call-next", due=due())
        if status != 200 or not CURRENT.search(text):
            return None  # "Nobody is waiting for this counter." (or an error, counted)
        ticket = TICKET.search(text).group(1)
        self.post(conn, "start", f"ticket={ticket}", due=due())
        self.post(conn, "finish", f"ticket={ticket}&outcome=done", due=due())
        return int(ticket)

    def closed_loop(self, conn) -> list[int]:
        mine = []
        while (ticket := self.cycle(conn, lambda: None)) is not None:
            mine.append(ticket)
        return mine

    def open_loop(self, conn) -> list[int]:
        start = time.perf_counter() + self.offset
        end = start - self.offset + self.seconds
        step = [0]

        def due() -> float:
            step[0] += 1
            return start + (step[0] - 1) / self.rate

        mine = []
        while start + step[0] / self.rate < end:
            ticket = self.cycle(conn, due)
            if ticket is not None:
                mine.append(ticket)
        return mine


def cpu_by_kind(port: int, setup: dict, server_pid: int, rounds: int) -> dict:
    """The server CPU of each kind of console action on its own: every clerk presses the same
    key at the same time (call next, then start, then finish), `rounds` times; the server's
    CPU is read before and after each step, when no other request is in flight."""
    stations = setup["stations"]
    results = {"latency": [], "called": [], "ended": []}
    lock, go = threading.Lock(), threading.Event()
    cpu = dict.fromkeys(("call-next", "start", "finish"), 0.0)
    sent = Counter()
    mark = {}

    def step(kind):
        def action():
            now = server_cpu_seconds(server_pid)
            if kind in mark:
                cpu[kind] += now - mark.pop(kind)
            else:
                mark[kind] = now

        return action

    barriers = {k: threading.Barrier(len(stations), action=step(k)) for k in cpu}

    def clerk(station: dict) -> None:
        me = Station(port, station, go, results, lock)
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        for _ in range(rounds):
            barriers["call-next"].wait()
            status, text = me.post(conn, "call-next")
            barriers["call-next"].wait()
            found = TICKET.search(text) if status == 200 and CURRENT.search(text) else None
            for kind, body in (("start", ""), ("finish", "&outcome=done")):
                barriers[kind].wait()
                if found:
                    me.post(conn, kind, f"ticket={found.group(1)}{body}")
                barriers[kind].wait()
            if found:
                with lock:
                    results["called"].append(int(found.group(1)))
        conn.close()

    threads = [threading.Thread(target=clerk, args=(s,)) for s in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for row in results["latency"]:
        sent[row[0]] += 1
    return {
        "cpu_ms": {k: cpu[k] * 1000 / max(sent[k], 1) for k in cpu},
        "sent": dict(sent),
        "called": results["called"],
        "latency": results["latency"],
    }


def interleaved(port: int, setup: dict, server_pid: int, rounds: int, cycles: int, healthz: int):
    """The server CPU per console action against /healthz's, round by round: in each round a
    block of /healthz GETs (`healthz` per clerk's connection) and a block of console actions
    (every clerk `cycles` times call next → start → finish, as fast as answers come), all on
    the clerks' own keep-alive connections (the same gunicorn workers, as many requests at
    once); the server's CPU is read before and after each block, when nothing is in flight;
    the two blocks swap places from one round to the next. Round 0 warms up (every thread's
    database connection, the templates) and is not counted."""
    stations = setup["stations"]
    pids = server_processes(server_pid)
    results = {"latency": [], "called": [], "ended": []}
    lock, go = threading.Lock(), threading.Event()
    go.set()
    clerks = [Station(port, s, go, results, lock) for s in stations]
    conns = []
    for _ in stations:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(conn)
    health_rows: list[tuple] = []

    def health(n: int) -> None:
        conn = conns[n]
        for _ in range(healthz):
            status, seconds = timed_get(conn, "/healthz")
            with lock:
                health_rows.append(("healthz", status, seconds))

    def act(n: int) -> None:
        for _ in range(cycles):
            ticket = clerks[n].cycle(conns[n], lambda: None)
            if ticket is None:
                return
            with lock:
                results["called"].append(ticket)

    def block(work) -> tuple[float, int]:
        """(server CPU seconds, requests) of one block: every clerk's connection at once."""
        done = len(health_rows) + len(results["latency"])
        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(stations))]
        cpu = process_cpu_seconds(pids)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = process_cpu_seconds(pids) - cpu
        return cpu, len(health_rows) + len(results["latency"]) - done

    figures = []
    for n in range(rounds + 1):
        order = (health, act) if n % 2 else (act, health)
        measured = {work: block(work) for work in order}
        (h_cpu, h_n), (a_cpu, a_n) = measured[health], measured[act]
        if n and h_n and a_n:
            figures.append({"healthz_ms": h_cpu * 1000 / h_n, "action_ms": a_cpu * 1000 / a_n,
                            "healthz": h_n, "actions": a_n})  # fmt: skip
    for conn in conns:
        conn.close()
    return {
        "rounds": figures,
        "latency": results["latency"] + health_rows,
        "called": results["called"],
    }


def print_interleaved(result: dict) -> dict:
    """Prints the rounds; returns the median ratio, its spread and the medians."""
    rounds = result["rounds"]
    for n, r in enumerate(rounds, 1):
        print(f"  round {n:2}: /healthz {r['healthz_ms']:5.2f} ms (n={r['healthz']}), console "
              f"action {r['action_ms']:5.2f} ms (n={r['actions']}) = "
              f"{r['action_ms'] / r['healthz_ms']:4.2f}x")  # fmt: skip
    ratios = sorted(r["action_ms"] / r["healthz_ms"] for r in rounds)
    summary = {
        "ratio": statistics.median(ratios),
        "low": ratios[0],
        "high": ratios[-1],
        "p25": percentile(ratios, 25),
        "p75": percentile(ratios, 75),
        "healthz_ms": statistics.median(r["healthz_ms"] for r in rounds),
        "action_ms": statistics.median(r["action_ms"] for r in rounds),
        "n": len(ratios),
    }
    print(f"  ratio per round:     median {summary['ratio']:.2f}x of {summary['n']} rounds, "
          f"spread {summary['low']:.2f}-{summary['high']:.2f}x (quartiles "
          f"{summary['p25']:.2f}-{summary['p75']:.2f}x); medians: /healthz "
          f"{summary['healthz_ms']:.2f} ms, console action {summary['action_ms']:.2f} ms"
          )  # fmt: skip
    return summary


def timed_get(conn, path: str, headers: dict | None = None) -> tuple[int, float]:
    """GET `path` on a kept-alive connection: (status, 0 when the connection failed; seconds)."""
    t0 = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
        conn.close()
    return status, time.perf_counter() - t0


def screen_poller(port, office, stop, results, lock):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"HX-Request": "true", "Accept-Language": LANG}
    while not stop.is_set():
        status, seconds = timed_get(conn, f"/{LANG}/queue/screen/{office}/", headers)
        with lock:
            results["latency"].append(("screen", status, seconds))
        stop.wait(1.0)
    conn.close()


def morning(port: int, setup: dict, *, open_clerks: int = 0, seconds: float = 0.0) -> dict:
    """The closed loop (every clerk until the queues are empty, no screens), or with
    `open_clerks` the open loop (that many clerks acting once a second, screens polling)."""
    results = {"latency": [], "called": [], "ended": []}
    lock, go, stop = threading.Lock(), threading.Event(), threading.Event()
    if open_clerks:
        stations = setup["stations"][:open_clerks]
        clerks = [
            Station(port, s, go, results, lock, rate=1.0, seconds=seconds, offset=n / len(stations))
            for n, s in enumerate(stations)
        ]
        offices = setup["offices"]
    else:
        clerks = [Station(port, s, go, results, lock) for s in setup["stations"]]
        offices = []
    screens = [
        threading.Thread(target=screen_poller, args=(port, office, stop, results, lock))
        for office in offices
    ]
    for thread in clerks + screens:
        thread.start()
    time.sleep(0.5)
    started = time.time()
    go.set()
    for thread in clerks:
        thread.join()
    stop.set()
    for thread in screens:
        thread.join()
    results["seconds"] = max(results["ended"]) - started
    return results


# --- the checks --------------------------------------------------------------------------------

CALLED_TWICE_SQL = """
SELECT ticket_id, count(*) FROM queues_ticketevent WHERE kind = 'called'
GROUP BY ticket_id HAVING count(*) > 1
"""


def sql_checks(dsn: str, drawn: list[int]) -> dict:
    import psycopg

    with psycopg.connect(dsn) as conn:
        twice = conn.execute(CALLED_TWICE_SQL).fetchall()
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM queues_ticket WHERE id = ANY(%s) GROUP BY status",
                (drawn,),
            ).fetchall()
        )
        called = conn.execute(
            "SELECT count(DISTINCT ticket_id) FROM queues_ticketevent WHERE kind = 'called'"
        ).fetchone()[0]
    return {"called_twice": twice, "statuses": statuses, "called_tickets": called}


def server_times(access_log: str) -> dict[str, tuple[float, str]]:
    """X-Bench-Id → (seconds gunicorn spent on the request, the worker's pid), from the access
    log the bench asks gunicorn to write (format `ACCESS_FORMAT`)."""
    times = {}
    for line in Path(access_log).read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] != "-":
            times[parts[0]] = (int(parts[1]) / 1e6, parts[2])
    return times


def where_time_went(trace: list[dict], times: dict, kind: str = "call-next") -> None:
    """Splits each `kind` request's latency (from when it was due) into: the load generator's
    own lateness (due → sent), gunicorn's time on it (request parsed → answer written, its
    access log) and the rest (waiting for a worker thread, the network, reading the answer)."""
    rows = [r for r in trace if r["kind"] == kind and r["id"] in times]
    if not rows:
        return
    parts = {
        "late (client)": [r["late"] for r in rows],
        "server (view)": [times[r["id"]][0] for r in rows],
        "rest (queue)": [r["latency"] - r["late"] - times[r["id"]][0] for r in rows],
        "total": [r["latency"] for r in rows],
    }
    print(f"  where {kind}'s latency went (n={len(rows)}; ms):")
    for name, values in parts.items():
        values = sorted(values)
        print(f"    {name:14} p50 {percentile(values, 50) * 1000:7.1f}  "
              f"p95 {percentile(values, 95) * 1000:7.1f}  "
              f"max {values[-1] * 1000:7.1f}")  # fmt: skip
    every = [r for r in trace if r["id"] in times and r["kind"] != "screen"]
    workers = Counter(times[r["id"]][1] for r in every)
    print(f"    console requests per gunicorn worker: {sorted(workers.values(), reverse=True)}")
    slow = sorted(rows, key=lambda r: r["latency"])[-max(1, len(rows) // 20) :]
    first = sum(r["first"] for r in slow)
    print(f"    the slowest 5 % ({len(slow)}): {first} were a clerk's first request on its "
          f"connection; mean late {sum(r['late'] for r in slow) / len(slow) * 1000:.0f} ms, "
          f"server {sum(times[r['id']][0] for r in slow) / len(slow) * 1000:.0f} ms, workers "
          f"{dict(Counter(times[r['id']][1] for r in slow))}")  # fmt: skip


# --- orchestration -----------------------------------------------------------------------------


def stats(rows: list, kind: str) -> dict:
    latencies = sorted(r[2] for r in rows if r[0] == kind)
    if not latencies:
        return {}
    return {
        "n": len(latencies),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1],
    }


def report(result: dict, cpu_ms: float) -> float:
    """Print one loop's figures; returns the server CPU per console request (ms)."""
    rows, seconds, called = result["latency"], result["seconds"], result["called"]
    console_requests = sum(1 for r in rows if r[0] != "screen")
    print(f"  calls:               {len(called)} tickets called, started and finished "
          f"in {seconds:.2f} s = {len(called) / seconds:.1f} calls/s")  # fmt: skip
    print(
        f"  requests:            {console_requests} console = {console_requests / seconds:.1f}/s"
        f", {len(rows) - console_requests} screen; server CPU "
        f"{cpu_ms / max(len(rows), 1):.2f} ms per request"
    )
    for kind in ("call-next", "start", "finish", "screen"):
        m = stats(rows, kind)
        if m:
            print(
                f"  {kind:10} n={m['n']:5}  p50 {m['p50'] * 1000:6.1f} ms  "
                f"p95 {m['p95'] * 1000:6.1f} ms  p99 {m['p99'] * 1000:6.1f} ms  "
                f"max {m['max'] * 1000:6.1f} ms"
            )
    return cpu_ms / max(console_requests, 1)


def run(args) -> int:
    pg = args.pg.rstrip("/")
    prefix = os.environ.get("BENCH_DB_PREFIX", "onewindow_bench_queue")
    name = f"{prefix}_{os.environ.get('BENCH_DB_TAG', '')}{os.getpid()}"
    dsn = f"{pg}/{name}"
    # The near-front SMS task is queued, not run in the request (no worker in the bench).
    env = server_env(dsn, CELERY_TASK_ALWAYS_EAGER="false")
    if port_open(6379):
        env["CELERY_BROKER_URL"] = args.redis_url
    admin_sql(pg, f'CREATE DATABASE "{name}"')
    server = None
    try:
        say(f"database {name}: migrate + seed_demo")
        for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--quiet"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True)
        setup_command = [PY, __file__, "--_setup", "--clerks", str(args.clerks)]
        # The interleaved rounds' tickets on top of the other phases' (per clerk).
        per_clerk = str((args.rounds + 1) * args.cycles)
        out = subprocess.run(
            [*setup_command, "--tickets", str(args.tickets), "--per-clerk", per_clerk],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        setup = json.loads(out.stdout.splitlines()[-1])
        access_log = f"{args.server_log}.access"
        server, port, log = start_gunicorn(
            env, args.workers, args.threads, args.server_log,
            "--access-logfile", access_log, "--access-logformat", ACCESS_FORMAT,
            "--worker-class", args.worker_class,
        )  # fmt: skip
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        say(
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
            f"{memory:.0f} GiB RAM; load average before: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        say(
            f"gunicorn ({args.worker_class}) {args.workers} workers x {args.threads} threads on "
            f"{HOST}:{port}; "
            f"{len(setup['stations'])} clerks at counters of {len(setup['offices'])} offices, "
            f"{len(setup['tickets'])} walk-in tickets over {setup['services']} office services"
        )
        health = measure(server, port, [""] * args.healthz_requests, {}, "healthz", 4, 2)
        print()
        print(
            f"GET /healthz:          {health['requests']} requests, "
            f"{health['per_second']:.0f}/s; server CPU {health['cpu_ms']:.2f} ms per request"
        )

        clerks = min(args.open_clerks, len(setup["stations"]))
        cpu = server_cpu_seconds(server.pid)
        open_loop = morning(port, setup, open_clerks=clerks, seconds=args.open_seconds)
        open_cpu = (server_cpu_seconds(server.pid) - cpu) * 1000
        print()
        print(
            f"open loop:             {clerks} clerks each acting once a second for "
            f"{args.open_seconds:.0f} s, {len(setup['offices'])} screens polling each second"
        )
        report(open_loop, open_cpu)
        where_time_went(open_loop.get("trace", []), server_times(access_log))

        by_kind = cpu_by_kind(port, setup, server.pid, args.kind_rounds)
        print()
        print(
            f"each kind on its own:  {len(setup['stations'])} clerks pressing the same key at "
            f"once, {args.kind_rounds} rounds; server CPU per request (x /healthz's):"
        )
        for kind, ms in by_kind["cpu_ms"].items():
            print(
                f"  {kind:10} n={by_kind['sent'].get(kind, 0):5}  {ms:6.2f} ms "
                f"= {ms / health['cpu_ms']:5.1f}x"
            )

        mixed = interleaved(
            port, setup, server.pid, args.rounds, args.cycles, args.healthz_per_round
        )
        print()
        print(
            f"interleaved:           {args.rounds} rounds (after one warm-up round), each "
            f"{args.healthz_per_round} GET /healthz and {args.cycles} x (call next, start, "
            f"finish) per clerk on its connection, {len(setup['stations'])} at once, in "
            "alternate order; server CPU per request (each process's CPU clock):"
        )
        floor = print_interleaved(mixed)

        cpu = server_cpu_seconds(server.pid)
        closed_loop = morning(port, setup)
        closed_cpu = (server_cpu_seconds(server.pid) - cpu) * 1000
        print()
        print(f"closed loop:           {len(setup['stations'])} clerks as fast as answers come, "
              "until every queue is empty (no screens)")  # fmt: skip
        per_action = report(closed_loop, closed_cpu)
        where_time_went(closed_loop.get("trace", []), server_times(access_log))

        rows = open_loop["latency"] + by_kind["latency"] + mixed["latency"] + closed_loop["latency"]
        called = open_loop["called"] + by_kind["called"] + mixed["called"] + closed_loop["called"]
        statuses = Counter((r[0], r[1]) for r in rows)
        errors = {k: v for k, v in statuses.items() if k[1] != 200}
        open_p95 = stats(open_loop["latency"], "call-next").get("p95", 0) * 1000
        closed_p95 = stats(closed_loop["latency"], "call-next").get("p95", 0) * 1000
        print()
        ratio = per_action / health["cpu_ms"]
        print(
            "against the targets (load average now: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
            + f" on {os.cpu_count()} CPUs; latency needs a quiet machine, the CPU ratio less so):"
        )
        met = floor["ratio"] <= 5
        print(f"  server CPU per console action:     {floor['ratio']:.2f}x /healthz's, median of "
              f"{floor['n']} interleaved rounds (spread {floor['low']:.2f}-{floor['high']:.2f}x; "
              f"{floor['action_ms']:.2f} / {floor['healthz_ms']:.2f} ms) "
              f"(target <= 5x: {'met' if met else 'NOT MET'})")  # fmt: skip
        print(f"  server CPU per console action:     {per_action:.2f} ms = "
              f"{ratio:.1f}x /healthz's {health['cpu_ms']:.2f} ms "
              "(closed loop, against /healthz measured once at the start)")  # fmt: skip
        for kind, ms in by_kind["cpu_ms"].items():
            print(f"  server CPU per {kind + ':':10}          {ms:.2f} ms = "
                  f"{ms / health['cpu_ms']:.1f}x (each kind on its own)")  # fmt: skip
        open_m, closed_m = (
            stats(open_loop["latency"], "call-next"),
            stats(closed_loop["latency"], "call-next"),
        )
        print(f"  call-next p95, open loop:          {open_p95:.1f} ms (target < 50 ms: "
              f"{'met' if open_p95 < 50 else 'NOT MET'}); "
              f"p50 {open_m.get('p50', 0) * 1000:.1f} ms, p99 {open_m.get('p99', 0) * 1000:.1f} ms"
              f"; closed loop: p95 {closed_p95:.1f} ms, p50 "
              f"{closed_m.get('p50', 0) * 1000:.1f} ms, p99 {closed_m.get('p99', 0) * 1000:.1f} ms"
              )  # fmt: skip
        print(f"answers by (action, status): {dict(sorted(statuses.items()))}")
        if errors:
            log.flush()
            tail = Path(args.server_log).read_text(errors="replace").splitlines()[-25:]
            print("server log (last lines):", *tail, sep="\n  ")

        checks = sql_checks(dsn, setup["tickets"])
        twice_seen = [t for t, n in Counter(called).items() if n > 1]
        lost = set(setup["tickets"]) - set(called)
        print()
        print("final check:")
        print(f"  tickets drawn:                     {len(setup['tickets'])}")
        print(f"  tickets by status (SQL):           {checks['statuses']}")
        print(f"  tickets with two 'called' events:  {len(checks['called_twice'])}")
        print(f"  tickets handed to two clerks:      {len(twice_seen)}")
        print(f"  tickets never called (lost):       {len(lost)}")
        ok = (
            not checks["called_twice"]
            and not twice_seen
            and not lost
            and checks["statuses"] == {"done": len(setup["tickets"])}
            and not errors
        )
        print("NO TICKET CALLED TWICE, NONE LOST" if ok else "CHECK FAILED")
        return 0 if ok else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep_db:
            admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            say(f"kept database {name}")
        say(f"server log: {args.server_log}")


def main() -> int:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", f"postgres://postgres@{HOST}:5432")
    )
    parser.add_argument("--clerks", type=int, default=30, help="counters worked at once")
    parser.add_argument(
        "--tickets",
        type=int,
        default=1500,
        help="walk-in tickets drawn, besides the interleaved rounds' (rounds + 1) x cycles "
        "per clerk",
    )
    parser.add_argument("--open-clerks", type=int, default=20, help="clerks in the open loop")
    parser.add_argument("--open-seconds", type=float, default=30.0, help="open loop's length")
    parser.add_argument("--healthz-requests", type=int, default=2000)
    parser.add_argument(
        "--kind-rounds", type=int, default=5, help="rounds of the CPU-per-kind phase"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="interleaved rounds of /healthz and console actions"
    )
    parser.add_argument(
        "--cycles", type=int, default=2, help="call next, start, finish per clerk in a round"
    )
    parser.add_argument(
        "--healthz-per-round", type=int, default=20, help="GET /healthz per clerk in a round"
    )
    parser.add_argument(
        "--redis-url",
        default=f"redis://{HOST}:6379/14",
        help="the Celery broker's Redis database, when Redis runs on 127.0.0.1:6379 (the cache "
        "is CACHE_URL's: bench/common.py's db 9 unless set)",
    )
    parser.add_argument("--workers", type=int, default=cores * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--worker-class",
        default=WORKER_CLASS,
        help="gunicorn's worker class (default: production's; gthread: gunicorn's own, for a "
        "comparison in the same conditions)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--server-log",
        default=str(Path(tempfile.gettempdir()) / "onewindow-bench-queue-server.log"),
    )
    parser.add_argument("--append", metavar="PATH", help="add the figures to PATH (RESULTS.md)")
    parser.add_argument("--_setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--per-clerk", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._setup:
        print(json.dumps(_setup(args.clerks, args.tickets, args.per_clerk)))
        return 0
    with appending(args.append, "bench/queue_calls.py", args.pg):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
