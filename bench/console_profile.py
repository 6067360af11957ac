"""Where a console action's server time goes, in one process: `python bench/console_profile.py`.

Drives Django's WSGI handler directly (no HTTP server, no client threads) on an existing
database that has the demo city (`manage.py seed_demo`), with the settings of the environment
(DATABASE_URL, CACHE_URL…; DEBUG=0 unless set): one clerk at one counter calls next, starts and
finishes `--rounds` tickets, as the htmx buttons of the console post them, and `/healthz` is
answered the same number of times. Prints, per kind of request, the CPU time (median and mean,
time.process_time) and the SQL statements (CaptureQueriesContext, printed once with
`--sql`); `--profile KIND` prints cProfile's top functions for that kind.

What it creates (a clerk, a TOTP device, a session, walk-in tickets) stays in the database: use
a throwaway one.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://127.0.0.1")
os.environ.setdefault("PYTHONWARNINGS", "ignore")
sys.path.insert(0, str(ROOT / "bench"))
from common import BENCH_KEYS  # noqa: E402

for _key, _value in BENCH_KEYS.items():
    os.environ.setdefault(_key, _value)


def clerk_session(counter_pk: int | None):
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils.crypto import get_random_string
    from django.utils.module_loading import import_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.actions import staff_role_grant
    from queues import actions
    from services.models import Counter

    counters = Counter.objects.filter(is_active=True, office__is_active=True)
    counter = counters.get(pk=counter_pk) if counter_pk else counters.order_by("pk").first()
    user = get_user_model().objects.create_user(
        username=f"profile-clerk-{get_random_string(6)}", password=None
    )
    staff_role_grant(user=user, role="clerk", office=counter.office)
    device = TOTPDevice.objects.create(user=user, name="profile", confirmed=True)
    session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    actions.counter_open(counter=counter, clerk=user)
    return counter, session.session_key, _get_new_csrf_string()


def environ(path: str, *, cookie: str = "", csrf: str = "", body: bytes = b"") -> dict:
    return {
        "REQUEST_METHOD": "POST" if csrf else "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "HTTP_X_CSRFTOKEN": csrf,
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_TARGET": "current",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--counter", type=int, help="a counter's id (default: the first)")
    parser.add_argument("--sql", action="store_true", help="print one request's SQL per kind")
    parser.add_argument("--profile", choices=["call-next", "start", "finish", "healthz"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", help="write the --profile statistics to this file (pstats)")
    args = parser.parse_args()

    import django

    django.setup()
    import re

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from queues import actions
    from services.selectors import counter_services

    counter, session_key, csrf = clerk_session(args.counter)
    service = counter_services(counter)[0]
    for _ in range(args.rounds + 5):
        actions.ticket_take_walk_in(office=counter.office, service=service)
    app = WSGIHandler()
    cookie = f"sessionid={session_key}; csrftoken={csrf}"
    base = f"/en/staff/console/{counter.pk}/do"
    cpu: dict[str, list[float]] = {}
    sql: dict[str, list[str]] = {}
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall

    def request(kind: str, env: dict) -> str:
        body: list[bytes] = []
        with CaptureQueriesContext(connection) as queries:
            if profiler and kind == args.profile:
                profiler.enable()
            t0 = time.process_time()
            chunks = app(env, lambda status, headers, exc_info=None: body.append(status.encode()))
            text = b"".join(chunks)
            cpu.setdefault(kind, []).append(time.process_time() - t0)
            if profiler and kind == args.profile:
                profiler.disable()
        status = body[0].decode()
        if not status.startswith("200"):
            raise SystemExit(f"{kind}: {status}\n{text.decode()[:2000]}")
        sql[kind] = [q["sql"] for q in queries.captured_queries]  # the last one
        return text.decode()

    for _ in range(args.rounds):
        request("healthz", environ("/healthz"))
        text = request("call-next", environ(f"{base}/call-next/", cookie=cookie, csrf=csrf))
        ticket = re.search(r'name="ticket" value="(\d+)"', text).group(1).encode()
        request(
            "start", environ(f"{base}/start/", cookie=cookie, csrf=csrf, body=b"ticket=" + ticket)
        )
        finish = b"ticket=" + ticket + b"&outcome=done"
        request("finish", environ(f"{base}/finish/", cookie=cookie, csrf=csrf, body=finish))

    floor = statistics.median(cpu["healthz"][5:])
    print(f"{args.rounds} rounds on {connection.vendor}; CPU per request (first 5 left out):")
    for kind, times in cpu.items():
        times = times[5:]
        median = statistics.median(times)
        print(
            f"  {kind:10} median {median * 1000:6.2f} ms  mean {statistics.mean(times) * 1000:6.2f}"
            f" ms  = {median / floor:5.1f}x /healthz   {len(sql[kind]):2} SQL statements"
            f"; the process's first: {cpu[kind][0] * 1000:.1f} ms"
        )
    if args.sql:
        for kind, statements in sql.items():
            print(f"\n{kind}:")
            for statement in statements:
                print(f"  {statement[:220] if len(statement) < 2000 else statement}")
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
