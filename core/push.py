"""Pushed updates: Server-Sent Events streams fed by Redis pub/sub (Django Channels' layer).

Publishing (any process: gunicorn, a Celery worker, the dev server): `push_publish(groups,
event, **data)` sends one small message to each group *after the transaction commits*
(`transaction.on_commit`), never before, so a stream never announces a change a reader cannot
see yet. A message is a nudge ("the queue of office 7 moved: a call"), not a page: each open
page fetches its own fragment with the same view, permissions and template as its poll.

    PUSH_REDIS_URL set   channels-redis' RedisPubSubChannelLayer: one PUBLISH per group,
                         sent here with a plain pooled redis-py client (no event loop per call);
                         every push server process subscribed to the group gets it.
    PUSH_REDIS_URL unset Channels' in-memory layer: only for the dev server (`make run`), which
                         serves pages and streams in one process (`serve_in_process()`); any
                         other ASGI process answers the streams with 503 and pages poll.

A dead Redis never breaks the write that published: the error is logged, publishing pauses for
PUBLISH_PAUSE_SECONDS, and the streams of a push server that lost Redis close (the watchdog
below), so their pages see the stream fail and go back to polling until it returns.

Streams: `EventStreamConsumer`, a Channels consumer answering `text/event-stream`; subclasses
(queues/streams.py) decide who may listen to which groups and what each message becomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from channels.consumer import AsyncConsumer
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from core.redis import client_for

if TYPE_CHECKING:
    import redis

# An ASGI connection scope, its receive and send callables, and its messages (Channels has no
# type information).
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger(__name__)

PUBLISH_PAUSE_SECONDS = 5.0
TIMEOUT = 0.5  # seconds, to connect to Redis and for each PUBLISH
MESSAGE_TYPE = "push.event"

_state = threading.local()
_paused_until = 0.0
_in_process_loop: asyncio.AbstractEventLoop | None = None
_serve_in_process = False


def push_publish(groups: list[str] | tuple[str, ...], event: str, **data: str | int | None) -> None:
    """Tell the open streams of `groups` that `event` happened, once the current transaction
    commits (at once outside a transaction). `data` must be plain: str, int, None."""
    message = {"type": MESSAGE_TYPE, "event": event, **data}
    transaction.on_commit(functools.partial(_publish, tuple(groups), message), robust=True)


def _publish(groups: tuple[str, ...], message: dict) -> None:
    global _paused_until
    if time.monotonic() < _paused_until:
        return
    try:
        if settings.PUSH_REDIS_URL:
            _publish_redis(groups, message)
        else:
            _publish_in_process(groups, message)
    except Exception:  # a dead Redis, a full layer: the write stands, pages keep polling
        _paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning(
            "push: could not publish %s to %s; pausing %s s (pages fall back to polling)",
            message.get("event"), ",".join(groups), PUBLISH_PAUSE_SECONDS, exc_info=True,
        )  # fmt: skip


def _redis() -> redis.Redis:
    # A short timeout: a publish runs after a clerk's commit, on the request's time.
    return client_for(settings.PUSH_REDIS_URL, timeout=TIMEOUT, health_check_interval=30)


def group_channel_name(group: str) -> str:
    """The Redis pub/sub channel of a group: RedisPubSubChannelLayer's own naming."""
    return f"{settings.PUSH_PREFIX}__group__{group}"


def _publish_redis(groups: tuple[str, ...], message: dict) -> None:
    layer = get_channel_layer()
    payload = layer.serialize(message)
    pipe = _redis().pipeline(transaction=False)
    for group in groups:
        pipe.publish(group_channel_name(group), payload)
    pipe.execute()


def _publish_in_process(groups: tuple[str, ...], message: dict) -> None:
    loop = _in_process_loop
    if loop is None or loop.is_closed():
        return  # no stream was ever opened in this process: nobody to tell
    layer = get_channel_layer()

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, message)

    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        loop.create_task(send_all())
    else:
        asyncio.run_coroutine_threadsafe(send_all(), loop)


def serve_in_process() -> None:
    """The dev server: pages and streams in this one process, so the in-memory layer works."""
    global _serve_in_process
    _serve_in_process = True


def push_available() -> bool:
    """Can this process serve streams? With the in-memory layer only in the dev server."""
    return bool(settings.PUSH_REDIS_URL) or _serve_in_process


def stream_url(path: str) -> str:
    """The address of a stream for pages: PUSH_URL (the push server, when it is not behind
    the same address as the pages) + /push/<path>."""
    return f"{settings.PUSH_URL}/push/{path.strip('/')}/"


# --- streams ------------------------------------------------------------------------------------

_open_streams: weakref.WeakSet = weakref.WeakSet()
_watchdogs: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
_redis_answers = True  # the watchdog's last word: new streams are refused while it is False


def _allowed_origin(scope: Scope) -> str | None:
    """The Origin to echo for a cross-origin page (PUSH_URL on another port or host): only
    the site's own (SITE_URL and CSRF_TRUSTED_ORIGINS)."""
    origin = dict(scope.get("headers") or []).get(b"origin", b"").decode("latin-1")
    if not origin:
        return None
    site = urlsplit(settings.SITE_URL)
    allowed = {f"{site.scheme}://{site.netloc}", *settings.CSRF_TRUSTED_ORIGINS}
    return origin if origin in allowed else None


class EventStreamConsumer(AsyncConsumer):
    """One `text/event-stream` response kept open: `authorize()` (subclasses) answers the
    groups to listen to, or an HTTP status to refuse with; each group message goes through
    `render()` (subclasses) and is written as one event. A comment every HEARTBEAT_SECONDS
    keeps proxies from closing an idle stream; after STREAM_SECONDS the stream ends and the
    browser reconnects (authorising again)."""

    HEARTBEAT_SECONDS = 20

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started = False
        self.groups_joined: list[str] = []
        self.ticker: asyncio.Future[None] | None = None
        if not push_available():
            await self._refuse(send, 503, scope)
            return
        try:
            await super().__call__(scope, receive, send)
        except (OSError, ConnectionError, TimeoutError) as exc:  # Redis gone before or while we
            logger.warning("push: stream failed (%s); the page falls back to polling", exc)
            if not self.started:
                await self._refuse(send, 503, scope)
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                logger.warning("push: stream failed (%s); the page falls back to polling", exc)
                if not self.started:
                    await self._refuse(send, 503, scope)
            else:
                raise
        finally:
            await self._leave()

    async def _refuse(self, send: Send, status: int, scope: Scope) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
        headers += self._cors(scope)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        origin = _allowed_origin(scope)
        if origin is None:
            return []
        return [(b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]  # fmt: skip

    async def dispatch(self, message: Message) -> None:
        # Channels' dispatch closes stale database connections before each message (a thread
        # hop per message per stream); these handlers never touch the database.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"no handler for {message['type']}")
        await handler(message)

    async def http_request(self, message: Message) -> None:
        if message.get("more_body"):
            return
        if self.scope.get("method") != "GET":
            await self._refuse(self.base_send, 405, self.scope)
            raise StopConsumer
        if not _redis_answers:  # a subscription now might "succeed" on a dead connection
            await self._refuse(self.base_send, 503, self.scope)
            raise StopConsumer
        answer = await self.authorize()
        if isinstance(answer, int):
            await self._refuse(self.base_send, answer, self.scope)
            raise StopConsumer
        for group in answer:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
            *self._cors(self.scope),
        ]
        await self.base_send({"type": "http.response.start", "status": 200, "headers": headers})
        self.started = True
        await self._write(f"retry: {settings.PUSH_RETRY_MS}\n: open\n\n")
        _open_streams.add(self)
        _ensure_watchdog()
        self.ticker = asyncio.ensure_future(self._tick())

    async def http_disconnect(self, message: Message) -> None:
        raise StopConsumer

    async def push_event(self, message: Message) -> None:
        event = self.render(message)
        if event is not None:
            name, data = event
            await self._write(f"event: {name}\ndata: {data}\n\n")

    async def _write(self, text: str, *, more: bool = True) -> None:
        await self.base_send(
            {"type": "http.response.body", "body": text.encode(), "more_body": more}
        )

    async def _tick(self) -> None:
        ends = time.monotonic() + settings.PUSH_STREAM_SECONDS
        try:
            while time.monotonic() < ends:
                await asyncio.sleep(min(self.HEARTBEAT_SECONDS, max(ends - time.monotonic(), 0)))
                await self._write(": keep-alive\n\n")
            await self.end()
        except (asyncio.CancelledError, OSError):
            pass

    async def end(self) -> None:
        """End the stream (the browser reconnects after the retry delay)."""
        if self.started:
            self.started = False
            with contextlib.suppress(OSError):
                await self._write("", more=False)

    async def _leave(self) -> None:
        _open_streams.discard(self)
        if self.ticker is not None and self.ticker is not asyncio.current_task():
            self.ticker.cancel()
        for group in self.groups_joined:
            # Redis gone: its subscriptions went with it.
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def authorize(self) -> list[str] | int:
        raise NotImplementedError

    def render(self, message: dict) -> tuple[str, str] | None:
        """(event name, data) for the browser, or None to say nothing."""
        return message["event"], message.get("kind") or ""


def _ensure_watchdog() -> None:
    """Per process (event loop): with Redis, check it every few seconds; when it stops
    answering, end every open stream, so that the pages poll until it is back (a stream that
    stays open over a dead Redis would hear nothing and the page would wait forever)."""
    global _in_process_loop
    loop = asyncio.get_running_loop()
    if not settings.PUSH_REDIS_URL:
        _in_process_loop = loop  # where publishers hand their messages (the dev server)
        return
    if loop in _watchdogs:
        return
    _watchdogs[loop] = loop.create_task(_watch_redis())


async def _watch_redis() -> None:
    global _redis_answers
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(
        settings.PUSH_REDIS_URL, socket_connect_timeout=1, socket_timeout=1
    )
    while True:
        await asyncio.sleep(settings.PUSH_WATCHDOG_SECONDS)
        try:
            await client.ping()
            if not _redis_answers:
                logger.warning("push: Redis answers again: streams are served")
            _redis_answers = True
        except Exception as exc:
            streams = list(_open_streams)
            if _redis_answers:
                logger.warning("push: Redis does not answer (%s): ending %s streams, refusing "
                               "new ones (pages poll)", exc, len(streams))  # fmt: skip
            _redis_answers = False
            for stream in streams:
                await stream.end()
