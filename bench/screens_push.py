"""A hall full of screens and phones on pushed updates (`make bench-screens`).

What it does, end to end, against the production stack of one web node:
1. creates a fresh PostgreSQL database, migrates it and makes one office with a counter open for
   a clerk (a session past the second factor), its manager, and `--tickets` waiting walk-in
   tickets (queues/tests/push_setup.py);
2. starts gunicorn (pages, console actions; DEBUG=0) and the push server (uvicorn,
   config.asgi, `deploy/run.sh push`'s command line), both publishing and listening through
   Redis pub/sub (PUSH_REDIS_URL, a prefix of its own), as `make prod` runs them;
3. the floor: with ONE stream open, `--rounds` calls (call next at the console over HTTP, then
   finish) and the time from each call's commit to the event's arrival; and /healthz's
   round trip on the push server;
4. opens `--connections` streams from this one process (aiohttp): `--screens` screen streams,
   one manager's, one clerk board's, and the rest ticket pages (one per waiting ticket);
5. idle: `--idle-seconds` with every stream open and nothing happening: the requests the two
   servers logged meanwhile (0 expected: an open stream costs no request), the push server's
   CPU, and, when Debian's chromium is there, a real screen page in the browser whose requests
   are counted too;
6. `--rounds` calls again with every stream open: for each, the time from the commit to the
   event's arrival at each of the streams (p50/p95/max over all arrivals) and how many got it;
7. stops everything and drops the database (unless --keep-db).

"From the commit": a Redis subscriber in this process hears the PUBLISH that the console
action sends right after its transaction commits (transaction.on_commit); each stream's
arrival is measured from that moment (same clock). Also printed: from the moment the POST was
sent (an upper bound).

Every request goes to 127.0.0.1.
"""
# The subprocesses run this interpreter and the project's own commands.
# ruff: noqa: S603

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402 - bench/common.py
    HOST,
    PY,
    admin_sql,
    appending,
    free_port,
    percentile,
    say,
    server_cpu_seconds,
    server_env,
    wait_until_up,
)

LANG = "zh-hans"
SETUP = (
    "import json; from queues.tests.push_setup import push_hall; "
    "print('PUSH_HALL ' + json.dumps(push_hall(tickets={n})))"
)


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(wanted, soft)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_push_server(env: dict, log_path: str, port: int):
    command = [PY, "-m", "uvicorn", "config.asgi:application", "--host", HOST, "--port",
               str(port), "--lifespan", "off", "--timeout-graceful-shutdown", "2",
               "--backlog", "4096", "--log-level", "info"]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                              stdout=log, stderr=log)  # fmt: skip
    wait_until_up(port)
    return server, port, log


REQUEST_LINE = re.compile(r'"(GET|POST|HEAD|PUT|DELETE|OPTIONS) ')


def requests_logged(gunicorn_log: str, push_log: str) -> tuple[int, int]:
    """Requests so far: the lines of gunicorn's and uvicorn's access logs."""
    return tuple(
        sum(1 for line in open(path, encoding="utf-8") if REQUEST_LINE.search(line))
        for path in (gunicorn_log, push_log)
    )


# --- the client ---------------------------------------------------------------------------------


class Streams:
    """Many SSE streams on one event loop; each arrival is stamped (time.monotonic)."""

    def __init__(self, session):
        self.session = session
        self.tasks: list[asyncio.Task] = []
        self.arrivals: list[list[float]] = []  # per stream: arrival times of events
        self.opened = 0
        self.failed = 0

    async def open(self, url: str, cookies: dict | None, ready: asyncio.Semaphore):
        index = len(self.arrivals)
        self.arrivals.append([])
        opened = asyncio.Event()
        self.tasks.append(asyncio.create_task(self._run(url, cookies, index, opened)))
        async with ready:
            await opened.wait()

    async def _run(self, url, cookies, index, opened):
        import aiohttp

        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        try:
            async with self.session.get(url, headers=headers) as response:
                if response.status != 200:
                    self.failed += 1
                    opened.set()
                    return
                self.opened += 1
                opened.set()
                async for line in response.content:
                    if line.startswith(b"event: "):
                        self.arrivals[index].append(time.monotonic())
        except (aiohttp.ClientError, OSError):
            self.failed += 1
            opened.set()

    async def close(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class Clerk:
    """The clerk at the console (htmx POSTs to gunicorn), and the Redis subscriber that hears
    each call's PUBLISH right after its commit."""

    def __init__(self, base: str, hall: dict, redis_url: str, prefix: str):
        self.base, self.hall = base, hall
        self.redis_url, self.channel = (
            redis_url,
            f"{prefix}__group__queue.office.{hall['office_id']}",
        )

    async def start(self):
        import aiohttp
        from redis import asyncio as aioredis

        # Cookies by hand: production marks them Secure, and this is plain http on 127.0.0.1.
        self.session = aiohttp.ClientSession()
        url = f"{self.base}/{LANG}/staff/console/{self.hall['counter_id']}/"
        answer = await self.session.get(url, headers={"Cookie": f"sessionid={self.hall['clerk']}"})
        page = await answer.text()
        if "csrfmiddlewaretoken" not in page:
            raise SystemExit(f"the console did not open: {answer.status} {answer.url}")
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        cookie = answer.cookies["csrftoken"].value
        self.cookie = f"sessionid={self.hall['clerk']}; csrftoken={cookie}"
        self.redis = aioredis.Redis.from_url(self.redis_url)
        self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(self.channel)
        self.published: asyncio.Queue = asyncio.Queue()
        self.listener = asyncio.create_task(self._listen())

    async def _listen(self):
        async for message in self.pubsub.listen():
            if message["type"] == "message":
                self.published.put_nowait(time.monotonic())

    async def act(self, action: str, **data) -> tuple[float, float, int, str]:
        """POST one console action: (sent, answered, status, body)."""
        url = f"{self.base}/{LANG}/staff/console/{self.hall['counter_id']}/do/{action}/"
        sent = time.monotonic()
        async with self.session.post(url, data={"csrfmiddlewaretoken": self.csrf, **data},
                                     headers={"HX-Request": "true", "HX-Target": "current",
                                              "Cookie": self.cookie}) as response:  # fmt: skip
            body = await response.text()
            return sent, time.monotonic(), response.status, body

    async def call_round(self, streams: Streams, settle: float) -> dict:
        """Call next, wait for the arrivals, then finish the ticket (its own arrivals ignored)."""
        while not self.published.empty():
            self.published.get_nowait()
        before = [len(a) for a in streams.arrivals]
        sent, answered, status, body = await self.act("call-next")
        if status != 200 or 'name="ticket" value="' not in body:
            raise SystemExit(f"call-next answered {status}: {body[:300]}")
        committed = await asyncio.wait_for(self.published.get(), 10)
        await asyncio.sleep(settle)
        got = [a[n] for a, n in zip(streams.arrivals, before, strict=True) if len(a) > n]
        ticket = re.search(r'name="ticket" value="(\d+)"', body).group(1)
        await self.act("finish", ticket=ticket, outcome="done")
        await asyncio.sleep(settle)
        while not self.published.empty():
            self.published.get_nowait()
        return {
            "from_commit": [t - committed for t in got],
            "from_post": [t - sent for t in got],
            "post_ms": (answered - sent) * 1000,
            "reached": len(got),
        }

    async def stop(self):
        self.listener.cancel()
        await self.pubsub.aclose()
        await self.redis.aclose()
        await self.session.close()


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return f"{name}: nothing arrived"
    return (
        f"{name:<22} n={len(ordered):>6}  p50 {percentile(ordered, 50) * 1000:7.1f} ms  "
        f"p95 {percentile(ordered, 95) * 1000:7.1f} ms  "
        f"p99 {percentile(ordered, 99) * 1000:7.1f} ms  "
        f"max {ordered[-1] * 1000:7.1f} ms"
    )


async def healthz_floor(session, base: str, n: int = 200) -> float:
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        async with session.get(f"{base}/healthz") as response:
            await response.read()
        times.append(time.monotonic() - t0)
    return percentile(sorted(times), 95)


async def idle_phase(screen_url: str | None, seconds: float, logs, push_pid: int) -> dict:
    """`seconds` with every stream open and nothing happening: the requests both servers logged
    and the push server's CPU meanwhile. With Debian's chromium (and `screen_url`), a real
    screen page is open too, counted from the moment its stream is open (its page load is not
    idle time)."""
    browser_requests = None
    async with contextlib.AsyncExitStack() as stack:
        page = None
        if screen_url and os.path.exists("/usr/bin/chromium"):
            from playwright.async_api import async_playwright

            pw = await stack.enter_async_context(async_playwright())
            flags = ["--headless=new", "--no-sandbox", "--disable-gpu"]
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=flags
            )
            stack.push_async_callback(browser.close)
            page = await browser.new_page()
            seen: list[str] = []
            page.on("request", lambda r: seen.append(r.url))
            await page.goto(screen_url)
            await page.wait_for_selector('main[data-push-state="open"]', timeout=15000)
            await asyncio.sleep(1)
        before = requests_logged(*logs)
        browser_before = len(seen) if page else 0
        cpu0 = server_cpu_seconds(push_pid)
        await asyncio.sleep(seconds)
        cpu = server_cpu_seconds(push_pid) - cpu0
        after = requests_logged(*logs)
        if page is not None:
            browser_requests = seen[browser_before:]
    return {"requests": (after[0] - before[0], after[1] - before[1]), "cpu": cpu,
            "browser": browser_requests}  # fmt: skip


async def run(args, hall, gunicorn_port, push_port, push_pid, logs, redis_url, prefix) -> None:
    import aiohttp

    pages = f"http://{HOST}:{gunicorn_port}"
    push = f"http://{HOST}:{push_port}"
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        clerk = Clerk(pages, hall, redis_url, prefix)
        await clerk.start()
        ready = asyncio.Semaphore(args.connect_batch)

        # --- the floor: one stream ---------------------------------------------------------------
        one = Streams(session)
        await one.open(f"{push}/push/screen/{hall['office_code']}/", None, ready)
        floor = [await clerk.call_round(one, args.settle) for _ in range(args.rounds)]
        await one.close()
        healthz_p95 = await healthz_floor(session, push)
        floor_commit = [x for r in floor for x in r["from_commit"]]

        # --- the hall: many streams --------------------------------------------------------------
        tickets = hall["tickets"]
        plan = [(f"{push}/push/screen/{hall['office_code']}/", None)] * args.screens
        plan += [(f"{push}/push/office/{hall['office_id']}/", {"sessionid": hall["manager"]})]
        plan += [(f"{push}/push/counter/{hall['counter_id']}/", {"sessionid": hall["clerk"]})]
        plan += [(f"{push}/push/ticket/{t['token']}/", None)
                 for t in tickets[: max(0, args.connections - len(plan))]]  # fmt: skip
        streams = Streams(session)
        t0 = time.monotonic()
        await asyncio.gather(*(streams.open(url, cookies, ready) for url, cookies in plan))
        connect_s = time.monotonic() - t0
        say(f"opened {streams.opened} streams ({streams.failed} failed) in {connect_s:.1f} s")

        # --- idle --------------------------------------------------------------------------------
        await asyncio.sleep(1)
        screen_url = f"{pages}/{LANG}/queue/screen/{hall['office_code']}/" if args.browser else None
        idle = await idle_phase(screen_url, args.idle_seconds, logs, push_pid)
        idle_requests, idle_cpu, browser = idle["requests"], idle["cpu"], idle["browser"]

        # --- calls with every stream open --------------------------------------------------------
        rounds = [await clerk.call_round(streams, args.settle) for _ in range(args.rounds)]
        all_commit = [x for r in rounds for x in r["from_commit"]]
        all_post = [x for r in rounds for x in r["from_post"]]
        reached = [r["reached"] for r in rounds]
        await streams.close()
        await clerk.stop()

    print()
    print(f"one web node: gunicorn (pages, console) + uvicorn push server, Redis pub/sub; "
          f"{args.rounds} calls per phase")  # fmt: skip
    print("floor (one stream open):")
    print("  " + summary("call -> event", floor_commit))
    print(f"  /healthz round trip on the push server: p95 {healthz_p95 * 1000:.1f} ms")
    print(f"streams: {streams.opened} open ({args.screens} screens, 1 manager, 1 clerk board, "
          f"{streams.opened - args.screens - 2} ticket pages), {streams.failed} refused; "
          f"opened in {connect_s:.1f} s")  # fmt: skip
    print(f"idle {args.idle_seconds:.0f} s with every stream open:")
    print(f"  requests logged: gunicorn {idle_requests[0]}, push server {idle_requests[1]}"
          f" = {sum(idle_requests) / args.idle_seconds:.2f} requests/s")  # fmt: skip
    if browser is not None:
        print(f"  a real screen page in chromium, its stream open: {len(browser)} requests "
              f"in {args.idle_seconds:.0f} s {browser[:3] or ''}")  # fmt: skip
    print(f"  push server CPU while idle: {idle_cpu * 1000:.0f} ms "
          f"({idle_cpu / args.idle_seconds * 100:.1f}% of one core)")  # fmt: skip
    print(f"calls with {streams.opened} streams open (each arrival at each stream):")
    print("  " + summary("commit -> arrival", all_commit))
    print("  " + summary("POST sent -> arrival", all_post))
    print(f"  streams reached per call: min {min(reached)}, max {max(reached)} of {streams.opened}")
    p95 = percentile(sorted(all_commit), 95) * 1000 if all_commit else float("inf")
    floor_p95 = percentile(sorted(floor_commit), 95) * 1000 if floor_commit else float("nan")
    print()
    print("against the targets:")
    print(f"  open connections on one node:   {streams.opened} (target >= 1000)")
    print(f"  call -> every stream, p95:      {p95:.1f} ms (target < 500 ms); "
          f"{p95 / floor_p95:.1f}x the one-stream floor's {floor_p95:.1f} ms")  # fmt: skip
    print(f"  requests of idle open screens:  {sum(idle_requests)} in {args.idle_seconds:.0f} s "
          f"(target: none per second)")  # fmt: skip
    ok = (streams.opened >= 1000 and p95 < 500 and sum(idle_requests) == 0
          and min(reached) == streams.opened)  # fmt: skip
    print("TARGETS MET" if ok else "TARGETS NOT MET")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds for arrivals per call")
    parser.add_argument("--connect-batch", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", f"postgres://postgres@{HOST}:5432")
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", f"redis://{HOST}:6379/9"))
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--append", help="add the figures to this file (bench/RESULTS.md)")
    args = parser.parse_args()

    limit = raise_fd_limit(args.connections * 2 + 512)
    if limit < args.connections * 2 + 100:
        raise SystemExit(f"file-descriptor limit {limit} is too low for {args.connections} streams")
    name = f"onewindow_bench_screens_{uuid.uuid4().hex[:6]}"
    dsn = f"{args.pg}/{name}"
    prefix = f"onewindow-bench-{uuid.uuid4().hex[:6]}"
    with appending(args.append, "bench/screens_push.py", args.pg):
        say(f"file-descriptor limit {limit}; database {name}; Redis {args.redis} prefix {prefix}")
        admin_sql(args.pg, f'CREATE DATABASE "{name}"')
        servers = []
        try:
            env = server_env(dsn, PUSH_REDIS_URL=args.redis, PUSH_PREFIX=prefix, LOG_LEVEL="INFO")
            for command in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
                subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True)
            setup = SETUP.format(n=args.connections)
            made = subprocess.run([PY, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env,
                                  check=True, capture_output=True, text=True)  # fmt: skip
            line = next(x for x in made.stdout.splitlines() if x.startswith("PUSH_HALL "))
            hall = json.loads(line.removeprefix("PUSH_HALL "))
            logs = Path(tempfile.gettempdir())
            gunicorn_log = str(logs / "onewindow-bench-screens-gunicorn.log")
            push_log = str(logs / "onewindow-bench-screens-push.log")
            gunicorn_port, push_port = free_port(), free_port()
            # Pages on one port, the push server on another (make prod without a proxy): the
            # pages name it in PUSH_URL; it answers their origin (SITE_URL) with CORS.
            env.update(SITE_URL=f"http://{HOST}:{gunicorn_port}",
                       PUSH_URL=f"http://{HOST}:{push_port}")  # fmt: skip
            push, push_port, _log = start_push_server(env, push_log, push_port)
            servers.append(push)
            gunicorn = start_pages(env, args.workers, gunicorn_log, gunicorn_port)
            servers.append(gunicorn)
            asyncio.run(run(args, hall, gunicorn_port, push_port, push.pid,
                            (gunicorn_log, push_log), args.redis, prefix))  # fmt: skip
        finally:
            for server in servers:
                try:
                    os.killpg(server.pid, 15)
                    server.wait(timeout=15)
                except (OSError, subprocess.TimeoutExpired):
                    os.killpg(server.pid, 9)
            if not args.keep_db:
                admin_sql(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


def start_pages(env: dict, workers: int, log_path: str, port: int):
    """gunicorn as deploy/run.sh web starts it, with its access log (the idle count reads it)."""
    command = [str(Path(PY).parent / "gunicorn"), "config.wsgi:application",
               "--bind", f"{HOST}:{port}", "--worker-class", "gthread", "--workers", str(workers),
               "--threads", "4", "--keep-alive", "30", "--access-logfile", "-",
               "--log-level", "warning"]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                              stdout=log, stderr=log)  # fmt: skip
    wait_until_up(port)
    return server


if __name__ == "__main__":
    sys.exit(main())
