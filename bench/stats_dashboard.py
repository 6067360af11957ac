"""The statistics dashboard on a year of a 12-office city (`make bench-stats`).

What it does, end to end:
1. creates a fresh PostgreSQL database, migrates it, loads the demo city (seed_demo) and runs
   `generate_city_year` (about 500,000 bookings and their tickets over a year, then the
   aggregation), timing both;
2. creates a station head (role "manager" at the office with the most bookings) and a bureau
   manager (role "manager" with no office), each with a TOTP device and a session already past
   the second factor, as after a real sign-in;
3. starts gunicorn (gthread workers) on a free port of 127.0.0.1 with production settings
   (DEBUG=0), set up like the other benchmarks (helpers from bench/common.py);
4. times, with repeated GETs over one keep-alive connection: the manager's dashboard for the
   whole year and for the last 30 days, the bureau's dashboard for the whole year, and the CSV
   and XLSX exports of the per-day table. "Warm" requests repeat one range (the report is cached
   until the next aggregation); "cold" requests each ask for another range, so every one of
   them sums the figures in the database;
5. prints p50/p95/p99 and requests per second; `--append PATH` adds a markdown section to
   bench/RESULTS.md; stops the server and drops the database (unless --keep-db).

Every request goes to 127.0.0.1.
"""
# The subprocesses run this interpreter and the project's own commands.
# ruff: noqa: S603

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402 - bench/common.py: what the benchmarks share
    HOST,
    PY,
    ROOT,
    admin_sql,
    machine,
    percentile,
    port_open,
    say,
    server_cpu_seconds,
    server_env,
    start_gunicorn,
    utc_now,
)

sys.path.insert(0, str(ROOT))  # the project, for Django in the --_setup subprocess

LANG = "zh-hans"
TARGET_MS = 300


# --- setup (runs inside Django, in a subprocess with the bench environment) -------------------


def _setup() -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.db.models import Count, Max, Min
    from django.utils.module_loading import import_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.actions import staff_role_grant
    from appointments.models import Booking
    from reports.models import DAILY, DailyFigure
    from services.models import Office

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    busiest = Booking.objects.values("office_id").annotate(n=Count("id")).order_by("-n").first()
    office = Office.objects.get(pk=busiest["office_id"])
    span = DailyFigure.objects.filter(level__in=DAILY).aggregate(first=Min("day"), last=Max("day"))
    sessions = {}
    for who, where in (("manager", office), ("bureau", None)):
        user = get_user_model().objects.create_user(
            username=f"bench-{who}", password=None, email=f"{who}@onewindow.test"
        )
        staff_role_grant(user=user, role="manager", office=where)
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        sessions[who] = session.session_key
    return {
        "sessions": sessions,
        "office": office.pk,
        "office_name": office.name_en,
        "office_bookings": busiest["n"],
        "first": span["first"].isoformat(),
        "last": span["last"].isoformat(),
        "figure_rows": DailyFigure.objects.filter(level__in=DAILY).count(),
    }


# --- the requests --------------------------------------------------------------------------------


def timed_gets(port: int, session: str, urls: list[str]) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"Cookie": f"sessionid={session}", "Accept-Language": LANG}
    times, statuses, size = [], {}, 0
    started = time.perf_counter()
    for url in urls:
        t0 = time.perf_counter()
        try:
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status, body = 0, b""
            conn.close()
        times.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
        size = max(size, len(body))
    seconds = time.perf_counter() - started
    conn.close()
    ordered = sorted(times)
    return {
        "n": len(times), "rps": len(times) / seconds, "statuses": statuses, "bytes": size,
        "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99), "max": ordered[-1],
    }  # fmt: skip


def scenarios(setup: dict, requests: int, cold: int) -> list[tuple[str, str, list[str]]]:
    first, last = dt.date.fromisoformat(setup["first"]), dt.date.fromisoformat(setup["last"])
    base = f"/{LANG}/staff/reports/"

    def q(a: dt.date, b: dt.date, **extra) -> str:
        params = f"first={a}&last={b}"
        return params + "".join(f"&{k}={v}" for k, v in extra.items())

    def shifted(k: int) -> dt.date:  # a different whole-year range per cold request
        return last - dt.timedelta(days=k + 1)

    year = q(first, last)
    month = q(last - dt.timedelta(days=29), last)
    return [
        ("manager: dashboard, whole year (warm)", "manager", [f"{base}?{year}"] * requests),
        ("manager: dashboard, last 30 days (warm)", "manager", [f"{base}?{month}"] * requests),
        ("manager: dashboard, whole year (cold: a new range each time)", "manager",
         [f"{base}?{q(first, shifted(k))}" for k in range(cold)]),
        ("bureau: dashboard, all 12 offices, whole year (warm)", "bureau",
         [f"{base}?{year}"] * requests),
        ("bureau: dashboard, all 12 offices, whole year (cold)", "bureau",
         [f"{base}?{q(first, shifted(k + cold))}" for k in range(cold)]),
        ("manager: CSV export per day, whole year", "manager",
         [f"{base}export/day.csv?{year}"] * requests),
        ("manager: XLSX export per day, whole year", "manager",
         [f"{base}export/day.xlsx?{year}"] * requests),
        ("bureau: XLSX export per office, whole year", "bureau",
         [f"{base}export/office.xlsx?{year}"] * requests),
    ]  # fmt: skip


# --- orchestration -----------------------------------------------------------------------------


def run(args) -> int:
    pg = args.pg.rstrip("/")
    name = f"onewindow_bench_stats_{os.getpid()}"
    dsn = f"{pg}/{name}"
    env = server_env(dsn, CELERY_TASK_ALWAYS_EAGER="false")
    if port_open(6379):
        env["CELERY_BROKER_URL"] = f"redis://{HOST}:6379/12"
    if args.existing_db:  # a database generated before: time the pages only
        name, args.keep_db = args.existing_db, True
        dsn = env["DATABASE_URL"] = f"{pg}/{name}"
    else:
        admin_sql(pg, f'CREATE DATABASE "{name}"')
    server, lines = None, []
    generated = rebuilt = "not run (existing database)"
    try:
        commands = [
            ["migrate", "--noinput", "-v", "0"],
            ["collectstatic", "--noinput", "-v", "0"],
        ]  # DEBUG=0 serves hashed copies
        if not args.existing_db:
            commands.append(["seed_demo", "--quiet"])
        say(f"database {name}: " + " + ".join(c[0] for c in commands))
        for command in commands:
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True)
        summary = f"database {name} as generated before"
        if not args.existing_db:
            t0 = time.monotonic()
            generate = [
                "generate_city_year",
                "--offices",
                str(args.offices),
                "--bookings",
                str(args.bookings),
                "--seed",
                str(args.seed),
            ]
            out = subprocess.run(
                [PY, "manage.py", *generate],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            generated = f"{time.monotonic() - t0:.0f} s"
            summary = out.stdout.strip().splitlines()[-1]
            say(f"generated in {generated}: {summary}")
        out = subprocess.run(
            [PY, __file__, "--_setup"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        setup = json.loads(out.stdout.splitlines()[-1])
        if not args.existing_db:
            t0 = time.monotonic()
            rebuild = ["reports_rebuild", "--from", setup["first"], "--to", setup["last"]]
            subprocess.run(
                [PY, "manage.py", *rebuild], cwd=ROOT, env=env, check=True, capture_output=True
            )
            rebuilt = f"{time.monotonic() - t0:.1f} s"
            say(f"reports_rebuild of the whole year again: {rebuilt}")
        server, port, log = start_gunicorn(env, args.workers, args.threads, args.server_log)
        when = utc_now()
        say(f"{when}; {machine(pg)}")
        say(
            f"gunicorn gthread {args.workers} workers x {args.threads} threads on {HOST}:{port}; "
            f"manager of {setup['office_name']} ({setup['office_bookings']} bookings in the "
            f"year); {setup['figure_rows']} figure rows {setup['first']}–{setup['last']}"
        )
        # Every worker computes and caches the year once, as after the first views of the day.
        for who in ("manager", "bureau"):
            year = f"first={setup['first']}&last={setup['last']}"
            timed_gets(port, setup["sessions"][who],
                       [f"/{LANG}/staff/reports/?{year}"] * (args.workers * 2))  # fmt: skip
        results = []
        for title, who, urls in scenarios(setup, args.requests, args.cold):
            cpu = server_cpu_seconds(server.pid)
            m = timed_gets(port, setup["sessions"][who], urls)
            m["cpu_ms"] = (server_cpu_seconds(server.pid) - cpu) * 1000 / max(m["n"], 1)
            results.append((title, m))
            print(
                f"  {title:62} n={m['n']:3}  p50 {m['p50'] * 1000:7.1f} ms  "
                f"p95 {m['p95'] * 1000:7.1f} ms  p99 {m['p99'] * 1000:7.1f} ms  "
                f"{m['rps']:6.1f} req/s  server CPU {m['cpu_ms']:6.1f} ms/req  "
                f"{m['bytes'] / 1024:6.0f} KiB  {m['statuses']}",
                flush=True,
            )
        manager = results[0][1]
        ok = manager["p95"] * 1000 < TARGET_MS and all(
            set(m["statuses"]) == {200} for _t, m in results
        )
        verdict = f"manager's dashboard (whole year, warm) p95 {manager['p95'] * 1000:.0f} ms: " + (
            f"UNDER {TARGET_MS} ms" if ok else f"NOT under {TARGET_MS} ms or errors"
        )
        print(verdict)
        command_line = " ".join([".venv/bin/python", "bench/stats_dashboard.py", *sys.argv[1:]])
        lines = [
            f"\n## Statistics dashboard, {when}\n",
            f"Command: `{command_line}`. "
            f"Machine: {machine(pg)} (shared with other engineers' work). gunicorn gthread "
            f"{args.workers}×{args.threads}, DEBUG=0, PostgreSQL.\n",
            f"Data: {summary}. `generate_city_year` took {generated}; "
            f"`reports_rebuild` of the whole year {rebuilt}. The manager's office: "
            f"{setup['office_name']}, {setup['office_bookings']} bookings.\n",
            "| request | n | p50 | p95 | p99 | req/s | server CPU/req | size |",
            "|---|---|---|---|---|---|---|---|",
            *(
                f"| {t} | {m['n']} | {m['p50'] * 1000:.0f} ms | {m['p95'] * 1000:.0f} ms | "
                f"{m['p99'] * 1000:.0f} ms | {m['rps']:.1f} | {m['cpu_ms']:.0f} ms | "
                f"{m['bytes'] / 1024:.0f} KiB |"
                for t, m in results
            ),
            f"\n{verdict}\n",
        ]
        if args.append:
            with open(args.append, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            say(f"appended to {args.append}")
        return 0 if ok else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep_db:
            admin_sql(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            say(f"kept database {name}")


def main() -> int:
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", f"postgres://postgres@{HOST}:5432")
    )
    parser.add_argument("--offices", type=int, default=12)
    parser.add_argument("--bookings", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=50, help="requests per warm scenario")
    parser.add_argument("--cold", type=int, default=10, help="requests per cold scenario")
    parser.add_argument("--workers", type=int, default=cores * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--append", metavar="PATH", help="append a markdown section here")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--existing-db", metavar="NAME", help="time the pages on a database generated before"
    )
    parser.add_argument(
        "--server-log",
        default=str(Path(tempfile.gettempdir()) / "onewindow-bench-stats-server.log"),
    )
    parser.add_argument("--_setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._setup:
        print(json.dumps(_setup()))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
