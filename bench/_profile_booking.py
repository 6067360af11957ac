"""Where a booking's server CPU goes, in one process (issue 13 item 5). Not part of `make bench`.

Sets up a database as `make bench-booking` does (migrate, seed_demo, an API client, the floor
tables), then calls the WSGI application directly with /healthz, the floor booking and the API
booking (each booking a new resident on a slot with room, so every answer is a 201; with
`--full` every slot is full first, so every answer is a 409), and prints the CPU time of this
process per request for each (no HTTP server, no client: just Django and the database calls).
With `--profile cprofile|pyinstrument` it profiles the booking requests.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ow_perf \
        CACHE_URL=rediscache://127.0.0.1:6379/2
    .venv/bin/python bench/_profile_booking.py --setup
    … .venv/bin/python bench/_profile_booking.py [--n 500] [--profile cprofile]

Under `valgrind --tool=callgrind` (`--only booking --n 200`) it counts instructions, which the
machine's load does not change.
"""
# ruff: noqa: S108, S311, S603, T201

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from common import BENCH_KEYS, HOST  # noqa: E402


def environment() -> None:
    for key, value in BENCH_KEYS.items():
        os.environ.setdefault(key, value)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "_floor_settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"http://{HOST}",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
            "PYTHONWARNINGS": "ignore",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        }
    )
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")


def setup() -> None:
    py = sys.executable
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--quiet"]):
        subprocess.run([py, "manage.py", *command], cwd=ROOT, check=True)
    import django

    django.setup()
    from booking_floor import SCHEMA
    from django.db import connection

    from accounts.actions import api_client_create

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_booking, floor_slot")
        for statement in SCHEMA:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO floor_slot (id, bookable, booked, full_at_start) "
            "SELECT n, 1000000000, 0, false FROM generate_series(1, 720) n"
        )
    _client, token = api_client_create(name="profile", rate="100000000/second")
    Path(os.environ.get("OW_PERF_TOKEN", "/tmp/ow_perf_token")).write_text(token)


def targets(full: bool) -> list:
    from django.db.models import F
    from django.utils import timezone

    from appointments import selectors
    from appointments.models import Slot

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
    ids = [s.pk for s in open_now]
    if full:
        Slot.objects.filter(pk__in=ids).update(booked=F("bookable"))
    else:
        Slot.objects.filter(pk__in=ids).update(capacity=30000, bookable=30000, booked=0)
    return [(s.pk, [svc.code for svc in s.schedule.services.all()]) for s in open_now]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--only", choices=["healthz", "floor", "booking"])
    parser.add_argument("--callgrind", action="store_true", help="see the comment in main()")
    parser.add_argument("--without-audit", action="store_true", help="measure the audit's cost")
    parser.add_argument("--layers", action="store_true", help="with cprofile: shares by layer")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="every slot full: 409 answers")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"])
    parser.add_argument("--sql", action="store_true", help="print one booking's statements")
    parser.add_argument("--start", type=int, help="the first resident's number")
    args = parser.parse_args()
    counter = Path("/tmp/ow_perf_resident")
    if args.start is None:  # new residents at every run: numbers carry on from the last run
        args.start = int(counter.read_text()) if counter.exists() else 1_000_000
    counter.write_text(str(args.start + 4 * args.n + 100))
    environment()
    if args.setup:
        setup()
        return 0
    import django

    django.setup()
    from booking_rush import booking_job
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    if args.without_audit:  # a measurement only: what the booking's audit entry costs
        import appointments.actions.booking as booking_action

        real = booking_action.rows_insert
        booking_action.audit_created_entry = lambda booking: None
        booking_action.rows_insert = lambda entry, *rows: [True, *real(*rows)]
    token = Path(os.environ.get("OW_PERF_TOKEN", "/tmp/ow_perf_token")).read_text()
    import random

    rng = random.Random(args.start)
    jobs = targets(args.full)

    def environ(method, path, body=b"", **headers):
        env = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": HOST,
            "HTTP_HOST": HOST,
            "HTTP_ACCEPT_LANGUAGE": "en",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            env["CONTENT_LENGTH"] = str(len(body))
            env["CONTENT_TYPE"] = "application/json"
        env.update(headers)
        return env

    statuses: dict = {}

    def call(env):
        seen = []
        result = app(env, lambda status, headers, exc_info=None: seen.append(status))
        b"".join(result)
        if hasattr(result, "close"):
            result.close()
        statuses[seen[0]] = statuses.get(seen[0], 0) + 1

    def healthz(n):
        return environ("GET", "/healthz")

    def floor(n):
        body = json.dumps({"slot": n % 720 + 1, "name": "张三"}).encode()
        return environ("POST", "/bench/floor/", body)

    def booking(n):
        slot, services = rng.choice(jobs)
        body = booking_job(slot, rng.choice(services), "张三", args.start + n, "139").encode()
        return environ("POST", "/api/v1/bookings/", body, HTTP_AUTHORIZATION=f"Token {token}")

    kinds = {"healthz": healthz, "floor": floor, "booking": booking}
    if args.sql:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call(booking(0))
        with CaptureQueriesContext(connection) as queries:
            call(booking(1))
        for query in queries:
            print(query["sql"][:300])
        print(statuses)
        return 0
    chosen = [args.only] if args.only else list(kinds)
    for name in chosen:  # warm-up
        for n in range(30):
            call(kinds[name](args.n + n))
    if args.profile:
        return profile(args, call, [kinds[chosen[-1]](n) for n in range(args.n)])
    if args.callgrind:
        # valgrind --tool=callgrind --zero-before=getppid --dump-before=getpgrp: the dump holds
        # exactly these requests.
        envs = [kinds[chosen[-1]](2 * args.n + n) for n in range(args.n)]
        os.getppid()
        for env in envs:
            call(env)
        os.getpgrp()
        print(f"{chosen[-1]}: {args.n} requests, answers {statuses}")
        return 0
    # Rounds of each kind in turn; the least CPU per request of any round is the figure (the
    # machine is shared: other work only ever adds).
    best: dict = {name: float("inf") for name in chosen}
    per_round = max(1, args.n // args.rounds)
    for r in range(args.rounds):
        for name in chosen:
            envs = [kinds[name](2 * args.n + r * per_round + n) for n in range(per_round)]
            statuses.clear()
            cpu = time.process_time()
            for env in envs:
                call(env)
            cpu = (time.process_time() - cpu) / per_round * 1000
            best[name] = min(best[name], cpu)
    for name in chosen:
        print(f"{name}: {best[name]:.3f} ms CPU per request (least of {args.rounds} rounds of "
              f"{per_round}); last answers {statuses if name == chosen[-1] else ''}")
    if "floor" in best and "booking" in best:
        print(f"booking / floor: {best['booking'] / best['floor']:.2f}")
    return 0


LAYERS = [  # (what, [(file, function), …]): the inclusive time of those functions
    ("token check (kept copy) and last use", [("appointments/api.py", "_fast_client"),
                                               ("accounts/api_auth.py", "client_touch")]),
    ("body parsing", [("appointments/api.py", "_fast_body")]),
    ("field validation (ID number, service)", [("appointments/api.py", "_fast_fields")]),
    ("rate limit (one Redis script)", [("core/throttles.py", "allow_request")]),
    ("booking_create (transaction, ID check, HMAC, …)", [("actions/booking.py", "booking_create")]),
    ("  the checks read (one statement)", [("appointments/selectors.py", "booking_read")]),
    ("  slot_refusal (window, closure)", [("appointments/selectors.py", "slot_refusal")]),
    ("  quota + place + booking (one statement)",
     [("actions/booking.py", "_take_quota_and_place_and_insert")]),
    ("  the audit entry built (audit_created_entry)",
     [("accounts/audit_changes.py", "audit_created_entry")]),
    ("  the outbox row built (booking_event_row)",
     [("appointments/actions/events.py", "booking_event_row")]),
    ("  audit entry + outbox row (one statement)", [("core/rows.py", "rows_insert")]),
    ("the 201 body (_booking_created)", [("appointments/api.py", "_booking_created")]),
    ("the JSON answer", [("appointments/api.py", "_fast_answer")]),
    ("(all statements: psycopg's execute)", [("psycopg/cursor.py", "execute")]),
]  # fmt: skip


def layers(stats) -> None:
    """Shares of the requests' time by layer (cProfile inflates Python calls: shares, not ms)."""

    def inclusive(fragment: str, name: str) -> float:
        found = [v[3] for k, v in stats.stats.items() if fragment in k[0] and k[2] == name]
        return max(found, default=0.0)  # a method and its override: the outer one

    total = inclusive("_profile_booking.py", "call")
    # The view's fast lane: on core.api_lane's short chain (or from the view's dispatch).
    outside = total - max(inclusive("appointments/api.py", "_fast_post"),
                          inclusive("appointments/api.py", "dispatch"))
    print(f"  {'WSGI handler, middleware, URL resolving':50s} {100 * outside / total:5.1f} %")
    for what, functions in LAYERS:
        share = sum(inclusive(fragment, name) for fragment, name in functions)
        print(f"  {what:50s} {100 * share / total:5.1f} %")


def profile(args, call, envs) -> int:
    if args.profile == "cprofile":
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for env in envs:
            call(env)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.dump_stats("/tmp/ow_perf_booking.prof")
        if args.layers:
            layers(stats)
        else:
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(40)
    else:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for env in envs:
            call(env)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
