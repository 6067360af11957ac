"""A real push server for the pushed-updates tests (queues/tests/test_streams.py, e2e/test_push.py)
and an SSE client to listen to it.

On PostgreSQL with REDIS_URL: `uvicorn config.asgi:application` on the test database, messages
through Redis pub/sub (PUSH_REDIS_URL, a prefix of its own), as `make prod` runs it. On SQLite:
the dev server of `make run` (`manage.py devserver`: uvicorn, the in-memory layer) on a database
file of its own, since the test process's in-memory database cannot be shared."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from django.conf import settings
from django.db import connection

from tests.processes import free_port, stop_group, wait_for

from .push_setup import push_hall

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
# Everything a developer's shell or CI may set that the server must not inherit.
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "PUSH_REDIS_URL", "PUSH_URL",
                 "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL")  # fmt: skip


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def base_env(database: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(DATABASE_URL=database, PYTHONUNBUFFERED="1", CONN_MAX_AGE="0",
               DJANGO_SETTINGS_MODULE="config.settings")  # fmt: skip
    return env


def sqlite_hall(tmp_path: Path, tickets: int = 3) -> tuple[dict, str]:
    """The hall made here, in the test database (the tests commit), then that database copied
    to a file of the server's own: (hall, DATABASE_URL). The file holds the migrated tables and
    the hall, as a `migrate` and a `manage.py shell` making the hall in it would leave it."""
    hall = push_hall(tickets=tickets)
    path = tmp_path / "push.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return hall, f"sqlite:///{path}"


def make_hall(tmp_path: Path, tickets: int = 3) -> tuple[dict, str]:
    """The tests using it are marked django_db(transaction=True): the server reads committed
    rows of the test database on PostgreSQL."""
    if ON_POSTGRES:
        return push_hall(tickets=tickets), database_url()
    return sqlite_hall(tmp_path, tickets)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    mode: str  # "redis" or "memory"
    prefix: str = ""
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        stop_group(self.process)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return response.status == 200
    except OSError:
        return False


def start_server(
    database: str, tmp_path: Path, *, redis_url: str | None = None, **env_extra
) -> Server:
    """uvicorn with PUSH_REDIS_URL=`redis_url` (REDIS_URL on PostgreSQL by default), else the
    dev server with the in-memory layer."""
    if redis_url is None:
        redis_url = REDIS_URL if ON_POSTGRES else ""
    port = free_port()
    env = base_env(database)
    prefix = f"pushtest-{uuid.uuid4().hex[:8]}"
    env.update(PUSH_PREFIX=prefix, PUSH_WATCHDOG_SECONDS="0.5", **env_extra)
    if redis_url:
        env["PUSH_REDIS_URL"] = redis_url
        command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
                   "127.0.0.1", "--port", str(port), "--lifespan", "off",
                   "--timeout-graceful-shutdown", "1"]  # fmt: skip
    else:
        command = [sys.executable, "manage.py", "devserver", "--noreload", "--no-beat",
                   f"127.0.0.1:{port}"]  # fmt: skip
    log = tmp_path / f"server-{port}.log"
    with open(log, "w") as output:
        process = subprocess.Popen(  # noqa: S603 - the project's own server
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server = Server(url, process, log, "redis" if redis_url else "memory", prefix)
    try:
        wait_for(lambda: answers(f"{url}/healthz"), 60, "the push server")
    except AssertionError:
        server.stop()
        raise AssertionError(log.read_text()) from None
    return server


# --- the client --------------------------------------------------------------------------------


class Stream:
    """One open SSE stream; `events` gets (name, data, monotonic time of arrival)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, cookies: dict | None = None):
        self.session, self.url, self.cookies = session, url, cookies or {}
        self.status: int | None = None
        self.raw = b""
        self.events: asyncio.Queue = asyncio.Queue()
        self.opened = asyncio.Event()
        self.ended = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def open(self) -> Stream:
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.opened.wait(), 30)
        return self

    async def _run(self):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        try:
            async with self.session.get(self.url, headers=headers) as response:
                self.status = response.status
                self.opened.set()
                if response.status != 200:
                    return
                name, data = None, None
                async for line in response.content:
                    self.raw += line
                    text = line.decode().rstrip("\r\n")
                    if text.startswith("event: "):
                        name = text[7:]
                    elif text.startswith("data:"):
                        data = text[5:].lstrip(" ")
                    elif text == "" and name is not None:
                        self.events.put_nowait((name, data or "", time.monotonic()))
                        name, data = None, None
        except (TimeoutError, aiohttp.ClientError):
            self.opened.set()
        finally:
            self.ended.set()

    async def next(self, timeout: float = 10) -> tuple[str, str, float]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self):
        if self.task is not None:
            self.task.cancel()


def cookie_jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # 127.0.0.1: aiohttp keeps no cookie of an IP otherwise


async def console_post(server_url: str, session_key: str, counter_id: int, action: str,
                       **data) -> tuple[int, float]:  # fmt: skip
    """A clerk's console action as htmx posts it: (status, monotonic time the answer came)."""
    cookies = {"sessionid": session_key}
    async with aiohttp.ClientSession(cookie_jar=cookie_jar(), cookies=cookies) as c:
        page = await (await c.get(f"{server_url}/zh-hans/staff/console/{counter_id}/")).text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response = await c.post(
            f"{server_url}/zh-hans/staff/console/{counter_id}/do/{action}/",
            data={"csrfmiddlewaretoken": token, **data},
            headers={"HX-Request": "true", "HX-Target": "current"},
        )
        await response.read()
        return response.status, time.monotonic()


def console_post_sync(server_url: str, session_key: str, counter_id: int, action: str) -> int:
    """console_post without an event loop (beside Playwright's sync API): the status."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    where = urlsplit(server_url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.request("GET", f"/zh-hans/staff/console/{counter_id}/",
                 headers={"Cookie": f"sessionid={session_key}"})  # fmt: skip
    page = conn.getresponse()
    body = page.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    conn.request(
        "POST",
        f"/zh-hans/staff/console/{counter_id}/do/{action}/",
        body=urlencode({"csrfmiddlewaretoken": token}),
        headers={
            "Cookie": f"sessionid={session_key}; csrftoken={csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "HX-Target": "current",
        },
    )
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer.status
